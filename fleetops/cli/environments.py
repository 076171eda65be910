"""``fleetops environments``: the fleet file's environments and which the control plane runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit


@app.command("environments")
def environments(
    file: FleetFileOption = Path("fleet.yaml"), output: OutputOption = OutputFormat.TABLE
) -> None:
    """The fleet's environments: which run on this control plane, approval, promotion order.

    `fleetops up --env NAME` starts one beside those running; `fleetops down --env NAME` stops it.
    """
    with connect(state_dir_of(file)) as api:
        listing: dict[str, Any] = api.get("/environments")

    def render(out: Console) -> None:
        table = Table(
            "environment", "provider", "running", "approval", "promoted from", title=listing["fleet"]
        )
        for env in listing["environments"]:
            running = "yes" if env["running"] else "no"
            table.add_row(env["name"], env["provider"], running, env["approval"], env["promote_from"] or "")
        out.print(table)

    emit(listing, output, render)
