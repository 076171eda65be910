"""``fleetops notify``: an ad-hoc announcement to the fleet file's channels that take its level
(a pager for critical, chat for warnings), e.g. 15 minutes before a maintenance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.spec.levels import Level


@app.command("notify")
def notify(
    *,
    level: Annotated[
        Level, typer.Option("--level", case_sensitive=False, help="info, warning, error or critical.")
    ],
    message: Annotated[str, typer.Option("--message", "-m", help="What to announce.")],
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Send an announcement (event announcement.posted) to every channel that takes its level;
    exit 1 when a delivery failed."""
    with connect(state_dir_of(file)) as api:
        sent: dict[str, Any] = api.post(
            "/notifications/announce",
            {"level": level.value, "message": message, "environment": env},
            flags={"message": "--message", "level": "--level"},
        )

    def render(console: Console) -> None:
        if not sent["deliveries"]:
            console.print(
                f"{sent['environment']}: no channel takes {sent['level']} announcements", highlight=False
            )
        for delivery in sent["deliveries"]:
            error = f": {delivery['error']}" if delivery["error"] else ""
            console.print(
                f"{delivery['channel']}: {delivery['status']}{error}", highlight=False, markup=False
            )

    emit(sent, output, render)
    if any(d["status"] == "failed" for d in sent["deliveries"]):
        raise typer.Exit(1)
