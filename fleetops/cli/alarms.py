"""``fleetops alarms``: the fleet's alarm states, like ``aws cloudwatch describe-alarms``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.timefmt import short_time

_STATE_STYLE = {"OK": "green", "ALARM": "red", "INSUFFICIENT_DATA": "yellow"}


@app.command("alarms")
def alarms(
    service: Annotated[str | None, typer.Option("--service", "-s", help="Only this service's.")] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Only those in this state: OK, ALARM, INSUFFICIENT_DATA.")
    ] = None,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List alarms evaluated now, per service watching them: state, reason, and when it changed."""
    with connect(state_dir_of(file)) as api:
        query = {"service": service, "state": state, "environment": env}
        found: list[dict[str, Any]] = api.get("/alarms", **query)["alarms"]

    def render(console: Console) -> None:
        if not found:
            console.print("no alarms", highlight=False)
            return
        # Reasons are long: each goes on its own line under its alarm, so no width cramps a column.
        name_w = max(len(a["name"]) for a in found)
        service_w = max(len(a["service"]) for a in found)
        for a in found:
            style = _STATE_STYLE.get(a["state"], "")
            console.print(
                f"{a['name']:<{name_w}}  {a['service']:<{service_w}}  [{style}]{a['state']:<17}[/]"
                f"  since {short_time(a['updated'])}",
                highlight=False,
            )
            console.print(Padding(Text(a["reason"], style="dim"), (0, 0, 0, 2)), highlight=False)

    emit(found, output, render)
