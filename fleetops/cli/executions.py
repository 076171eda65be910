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

from fleetops.cli.app import app
from fleetops.cli.client import ApiClient, connect
from fleetops.cli.deploy import finish, follow, progress_table
from fleetops.cli.options import FleetFileOption, state_dir_of
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit, emit_rows
from fleetops.cli.progress import live_on
from fleetops.cli.timefmt import short_time
from fleetops.errors import BadInput

executions_app = typer.Typer(
    name="executions", help="Runbook executions and their histories.", no_args_is_help=True
)
app.add_typer(executions_app)

ExecutionArg = Annotated[str, typer.Argument(help="An execution name (or ARN).")]


def _connect(file: Path) -> ApiClient:
    return connect(state_dir_of(file))


@executions_app.command("list")
def list_(  # noqa: PLR0917 (typer: every option is a parameter)
    runbook: Annotated[str, typer.Option(help="deploy, rollback or all.")] = "all",
    status: Annotated[str | None, typer.Option(help="RUNNING, SUCCEEDED, FAILED, ABORTED…")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many, newest first.")] = 50,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
    no_headers: NoHeadersOption = False,
) -> None:
    """Executions of the built-in runbooks, newest first."""
    with _connect(file) as api:
        found: list[dict[str, Any]] = api.get("/executions", runbook=runbook, status=status, limit=limit)[
            "executions"
        ]

    emit_rows(
        found,
        output,
        columns=("execution", "status", "started", "stopped", "error"),
        row=lambda item: (
            item["execution"],
            item["status"],
            short_time(item["start_date"]),
            short_time(item["stop_date"]) if item["stop_date"] else "",
            item["error"],
        ),
        headers=not no_headers,
    )


@executions_app.command("describe")
def describe(
    execution: ExecutionArg,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow it to the end; the exit code says how it ended.")
    ] = False,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """The execution and each service's rollout (status, percentage, checkpoint, reason)."""
    with _connect(file) as api:
        if wait:
            progress: dict[str, Any] = follow(api, execution, output)
        else:
            progress = api.get(f"/deployments/{execution}")
    if not (wait and live_on(output)):  # a live view already shows its last state
        emit(progress, output, lambda console: console.print(progress_table(progress)))
    if wait:
        finish(progress)


@executions_app.command("history")
def history(
    execution: ExecutionArg,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
    no_headers: NoHeadersOption = False,
) -> None:
    """The execution's events, oldest first (Step Functions event types)."""
    with _connect(file) as api:
        events: list[dict[str, Any]] = api.get(f"/executions/{execution}/history")["events"]

    def row(event: dict[str, Any]) -> tuple[object, ...]:
        details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        what = details.get("name") or details.get("resource") or details.get("error")
        return event["id"], short_time(event["timestamp"]), event["type"], what

    emit_rows(
        events, output, columns=("id", "time", "type", "state / resource"), row=row, headers=not no_headers
    )


@executions_app.command("export")
def export(
    days: Annotated[float, typer.Option(min=0.001, help="Executions started in the last DAYS days.")] = 7,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.JSON,
) -> None:
    """Print finished executions with their histories as JSON (redirect it to a file).

    JSON is the default here, since the export is meant for `fleetops executions import`;
    `--output table` lists what would be exported instead.
    """
    with _connect(file) as api:
        document = api.get("/executions/export", days=days)
    if output is OutputFormat.JSON:
        sys.stdout.write(json.dumps(document, indent=1) + "\n")
        return

    emit_rows(
        document["executions"],
        output,
        columns=("execution", "status", "started"),
        row=lambda item: (item["name"], item["status"], short_time(item["start_date"])),
    )


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
