"""``fleetops notifications``: which notifications were sent, dropped as duplicates, or failed."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli.client import connect
from fleetops.cli.main import app
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.timefmt import short_time

_STATUS_STYLE = {"sent": "green", "failed": "red", "duplicate": "dim", "pending": "cyan"}


@app.command("notifications")
def notifications(
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    execution: Annotated[str | None, typer.Option(help="Only this deployment's execution id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List notification deliveries: channel, event, status, attempts and the last error."""
    with connect() as api:
        found: list[dict[str, Any]] = api.get(
            "/notifications", channel=channel, execution_id=execution, limit=limit
        )["deliveries"]

    def render(console: Console) -> None:
        if not found:
            console.print("no notifications", highlight=False)
            return
        table = Table("when", "channel", "event", "env", "execution", "status", "tries", "error")
        for d in found:
            style = _STATUS_STYLE.get(d["status"], "")
            table.add_row(
                short_time(d["created_at"]),
                d["channel"],
                d["event"],
                d["environment"] or "-",
                d["execution_id"] or "-",
                f"[{style}]{d['status']}[/]",
                str(d["attempts"]),
                d["error"] or "",
            )
        console.print(table)

    emit(found, output, render)
