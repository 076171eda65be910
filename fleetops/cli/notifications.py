"""``fleetops notifications``: which notifications were sent, dropped as duplicates, or failed."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit_rows, plain
from fleetops.cli.timefmt import short_time

_STATUS_STYLE = {"sent": "green", "failed": "red", "duplicate": "dim", "pending": "cyan"}


@app.command("notifications")
def notifications(
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    execution: Annotated[str | None, typer.Option(help="Only this deployment's execution id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
    output: OutputOption = OutputFormat.TABLE,
    no_headers: NoHeadersOption = False,
) -> None:
    """List notification deliveries: channel, event, status, attempts and the last error."""
    with connect() as api:
        found: list[dict[str, Any]] = api.get(
            "/notifications", channel=channel, execution_id=execution, limit=limit
        )["deliveries"]

    emit_rows(
        found,
        output,
        empty="no notifications",
        columns=("when", "channel", "event", "env", "execution", "status", "tries", "error"),
        row=lambda d: (
            short_time(d["created_at"]),
            d["channel"],
            d["event"],
            d["environment"] or "-",
            d["execution_id"] or "-",
            plain(d["status"], _STATUS_STYLE.get(d["status"], "")),
            d["attempts"],
            d["error"],
        ),
        headers=not no_headers,
    )
