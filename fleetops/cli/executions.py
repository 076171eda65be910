"""``fleetops executions list|describe|history|export|import|cleanup``: runbook executions.

``export --days 7 > file.json`` and ``import file.json`` move finished executions with their
histories between control planes (seed 001's execution history recovery); ``cleanup --keep 100``
deletes finished executions beyond the newest 100.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli.client import ApiClient, connect
from fleetops.cli.deploy import progress_table
from fleetops.cli.main import app
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.timefmt import short_time
from fleetops.cli.up import FleetFileOption, state_dir_of
from fleetops.errors import BadInput

executions_app = typer.Typer(
    name="executions", help="Runbook executions and their histories.", no_args_is_help=True
)
app.add_typer(executions_app)

ExecutionArg = Annotated[str, typer.Argument(help="An execution name (or ARN).")]


def _connect(file: Path) -> ApiClient:
    return connect(state_dir_of(file))


@executions_app.command("list")
def list_(
    runbook: Annotated[str, typer.Option(help="deploy, rollback or all.")] = "all",
    status: Annotated[str | None, typer.Option(help="RUNNING, SUCCEEDED, FAILED, ABORTED…")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Executions of the built-in runbooks, newest first."""
    with _connect(file) as api:
        found: list[dict[str, Any]] = api.get("/executions", runbook=runbook, status=status, limit=limit)[
            "executions"
        ]

    def render(console: Console) -> None:
        table = Table("execution", "status", "started", "stopped", "error")
        for item in found:
            stopped = short_time(item["stop_date"]) if item["stop_date"] else ""
            table.add_row(
                item["execution"],
                item["status"],
                short_time(item["start_date"]),
                stopped,
                item["error"] or "",
            )
        console.print(table)

    emit(found, output, render)


@executions_app.command("describe")
def describe(
    execution: ExecutionArg,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """The execution and each service's rollout (status, percentage, checkpoint, reason)."""
    with _connect(file) as api:
        progress: dict[str, Any] = api.get(f"/deployments/{execution}")
    emit(progress, output, lambda console: console.print(progress_table(progress)))


@executions_app.command("history")
def history(
    execution: ExecutionArg,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """The execution's events, oldest first (Step Functions event types)."""
    with _connect(file) as api:
        events: list[dict[str, Any]] = api.get(f"/executions/{execution}/history")["events"]

    def render(console: Console) -> None:
        table = Table("id", "time", "type", "state / resource")
        for event in events:
            details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            what = details.get("name") or details.get("resource") or details.get("error") or ""
            table.add_row(str(event["id"]), short_time(event["timestamp"]), event["type"], str(what))
        console.print(table)

    emit(events, output, render)


@executions_app.command("export")
def export(
    days: Annotated[float, typer.Option(min=0.001, help="Executions started in the last DAYS days.")] = 7,
    file: FleetFileOption = Path("fleet.yaml"),
) -> None:
    """Print finished executions with their histories as JSON (redirect it to a file)."""
    with _connect(file) as api:
        document = api.get("/executions/export", days=days)
    sys.stdout.write(json.dumps(document, indent=1) + "\n")


@executions_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A file written by `fleetops executions export`.")],
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Add the exported executions this control plane lacks (those it has are left)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise BadInput(f"{path}: cannot read an execution export: {err}") from err
    with _connect(file) as api:
        counts: dict[str, int] = api.post("/executions/import", document)
    emit(
        counts,
        output,
        lambda c: c.print(
            f"imported {counts['imported']}, skipped {counts['skipped']} already here", highlight=False
        ),
    )


@executions_app.command("cleanup")
def cleanup(
    keep: Annotated[int, typer.Option(min=0, help="How many finished executions to keep (newest).")] = 100,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Delete finished executions beyond the newest KEEP, with their histories."""
    with _connect(file) as api:
        result: dict[str, Any] = api.post("/executions/cleanup", {"keep": keep})
    emit(result, output, lambda c: c.print(f"deleted {result['deleted']} executions", highlight=False))
