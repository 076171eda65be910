"""``fleetops audit``: who did what, when, and how it ended; ``fleetops audit security``: what is
left open (both need an admin token)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.timefmt import short_time, since_time

_OUTCOME_STYLE = {"success": "green", "refused": "yellow", "bad_input": "yellow", "failed": "red"}
_SEVERITY_STYLE = {"high": "red", "medium": "yellow", "low": "cyan"}

audit_app = typer.Typer(
    name="audit",
    help="The audit log of changes (fleetops audit), and the security audit (fleetops audit security).",
    invoke_without_command=True,
)
app.add_typer(audit_app)


@audit_app.callback()
def audit(
    ctx: typer.Context,
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
    if ctx.invoked_subcommand is not None:
        return
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


@audit_app.command("security")
def security(
    *,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """What is left open: tokens never or long unused or without expiry, admin tokens, secrets in
    the fleet file or overdue for rotation, state files others may read, listening beyond
    loopback, audit log gaps; each with its severity and fix. Exit 1 on a high finding."""
    with connect(state_dir_of(file)) as api:
        found: dict[str, Any] = api.get("/security/audit", environment=env)

    def render(console: Console) -> None:
        counts = found["counts"]
        console.print(
            f"{found['environment']}: {counts['high']} high, {counts['medium']} medium, {counts['low']} low",
            highlight=False,
        )
        for finding in found["findings"]:
            style = _SEVERITY_STYLE[finding["severity"]]
            console.print(
                f"  [{style}]{finding['severity']:<6}[/]  {escape(finding['check'])}  "
                f"[bold]{escape(finding['subject'])}[/]: {escape(finding['detail'])}",
                highlight=False,
            )
            console.print(f"          fix: {escape(finding['fix'])}", highlight=False, style="dim")
        for skipped in found["skipped"]:
            console.print(f"  not checked: {escape(skipped)}", highlight=False)

    emit(found, output, render)
    if found["counts"]["high"]:
        raise typer.Exit(1)
