"""``fleetops audit``: who did what, when, and how it ended (needs an admin token)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.timefmt import short_time, since_time

_OUTCOME_STYLE = {"success": "green", "refused": "yellow", "bad_input": "yellow", "failed": "red"}


@app.command("audit")
def audit(
    *,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many entries, newest first.")] = 50,
    action: Annotated[
        str | None, typer.Option(help="Only this action, or a prefix ending in * (tokens.*).")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Only calls made with this token name.")] = None,
    target: Annotated[str | None, typer.Option(help="Only calls on this target (tokens/ci).")] = None,
    outcome: Annotated[str | None, typer.Option(help="success, failed, bad_input or refused.")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="From this time on: a duration back from now (1h, 7d) or an ISO 8601 time."),
    ] = None,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many newer entries (paging).")] = 0,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show the audit log of changes made through the control plane."""
    with connect() as api:
        page: dict[str, Any] = api.get(
            "/audit",
            limit=limit,
            action=action,
            actor=actor,
            target=target,
            outcome=outcome,
            since=None if since is None else since_time(since, "--since").isoformat(),
            offset=offset,
        )

    def render(console: Console) -> None:
        # One line per entry and its detail indented below: the arguments and errors are too
        # long for a column of an 80-character table.
        for entry in page["entries"]:
            style = _OUTCOME_STYLE.get(entry["outcome"], "")
            when = short_time(entry["at"])
            console.print(
                f"{when}  [bold]{escape(entry['actor'])}[/]  {escape(entry['action'])}  "
                f"{escape(entry['target'] or '-')}  [{style}]{entry['outcome']}[/]",
                highlight=False,
            )
            detail = entry["error"] or (json.dumps(entry["arguments"]) if entry["arguments"] else "")
            if detail:
                console.print(f"    {escape(detail)}", highlight=False, style="dim")
        shown = len(page["entries"])
        more = f"; next page: --offset {page['next_offset']}" if page["next_offset"] is not None else ""
        console.print(f"{shown} of {page['total']} entries{more}", highlight=False)

    emit(page, output, render)
