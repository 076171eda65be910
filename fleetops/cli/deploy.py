"""``fleetops deploy``, ``rollback``, ``promote``, ``approve`` and ``stop``: runbooks in the server.

``--wait`` follows the execution with live progress per service and exits with how it ended:
0 succeeded; 1 failed (a deployment that failed was rolled back), stopped or timed out; 2 bad
input; 3 refused (lock held, maintenance, blocked service; also at once, before it starts).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from fleetops.cli.app import app
from fleetops.cli.client import ApiClient, Reader, connect
from fleetops.cli.options import FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, console, emit, plain, shorten
from fleetops.cli.progress import execution_lines, following_hint, poll_until, say
from fleetops.errors import BadInput, OperationFailed, Refused
from fleetops.spec.durations import parse_duration

ServicesOption = Annotated[
    str | None, typer.Option("--services", "-s", help="Comma-separated services; default: all.")
]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Follow it to the end; the exit code says how it ended.")
]
ApprovalTimeoutOption = Annotated[
    str | None,
    typer.Option(
        "--approval-timeout",
        help="How long an `approval: required` environment waits for `fleetops approve` (like 30m; "
        "default 1d); then the deployment fails and nothing changes.",
    ),
]
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


def _names(services: str | None) -> list[str]:
    return [name.strip() for name in (services or "").split(",") if name.strip()]


def _duration(option: str, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_duration(value)
        except ValueError as err:
            raise BadInput(f"{option} {value!r}: {err}") from err
    return value


def _connect(file: Path) -> ApiClient:
    return connect(state_dir_of(file))


def progress_table(progress: dict[str, Any]) -> Group:
    """The execution's status line and one row per service rollout (and per rollback)."""
    status = progress["status"]
    colour = {"SUCCEEDED": "green", "RUNNING": "cyan"}.get(status, "red")
    head = Text.assemble((f"{progress['execution']}", "bold"), "  ", (status, colour))
    if progress.get("waiting_for_approval"):
        head.append(f"  waiting for approval: fleetops approve {progress['execution']}", "yellow")
    table = Table("wave", "service", "version", "status", "%", "to update", "checkpoint", "reason")
    for row in progress["services"]:
        table.add_row(*_cells(row, str(row.get("wave", ""))))
    for row in progress.get("rollback") or []:
        table.add_row(*_cells(row, "rollback"))
    parts: list[Any] = [head]
    if table.row_count or not progress.get("skipped"):
        parts.append(table)
    for item in progress.get("skipped") or []:
        parts.append(Text(f"{item['service']} is {item['reason']}"))
    if progress.get("error"):
        parts.append(Text(f"{progress['error']}: {progress.get('cause') or ''}", "red"))
    return Group(*parts)


def _cells(row: dict[str, Any], wave: str) -> list[Text]:
    rollout = row.get("rollout") or {}
    return [
        plain(cell)
        for cell in (
            wave,
            row.get("service", ""),
            row.get("version"),
            row.get("status", ""),
            rollout.get("percentage_complete", ""),
            rollout.get("instances_to_update", ""),
            rollout.get("checkpoint"),
            shorten(str(rollout.get("status_reason") or ""), 80),
        )
    ]


Lines = Callable[[dict[str, Any]], dict[str, str]]
"""An execution's progress as lines (one per key), printed when they change off a terminal."""
Draw = Callable[[dict[str, Any]], RenderableType]
"""An execution's progress drawn live on a terminal."""


def follow(
    api: Reader,
    execution: str,
    output: OutputFormat,
    *,
    lines: Lines = execution_lines,
    draw: Draw = progress_table,
) -> dict[str, Any]:
    """Poll the execution until it ends: live on a terminal, a line per change elsewhere
    (a deployment's waves and rollouts by default; ``step_lines``/``step_table`` for runbooks
    shown step by step)."""
    return poll_until(
        lambda: api.get(f"/deployments/{execution}"),
        lambda progress: progress["status"] in TERMINAL,
        output=output,
        lines=lines,
        draw=draw,
        interrupted=following_hint(execution),
    )


def finish(progress: dict[str, Any]) -> None:
    """Raise the error matching how the execution ended (nothing when it succeeded)."""
    if progress["status"] == "SUCCEEDED":
        return
    error = progress.get("error") or progress["status"]
    message = f"{progress['execution']} {progress['status']}: {error}: {progress.get('cause') or ''}".rstrip(
        ": "
    )
    if error == "fleetops.Refused":
        raise Refused(message)
    if error == "fleetops.BadInput":
        raise BadInput(message)
    raise OperationFailed(message)


def start_or_follow(
    api: Reader,
    started: dict[str, Any],
    wait: bool,
    output: OutputFormat,
    *,
    what: str | None = None,
    hint: str | None = None,
    lines: Lines = execution_lines,
    draw: Draw = progress_table,
) -> dict[str, Any] | None:
    """Say that the execution ``started`` (``what``: default its operation) and ``hint`` (default:
    how to follow it), None; with ``wait``, follow it and return its last progress."""
    name = started["execution"]
    what = what or started["operation"]
    if not wait:
        hint = hint or f"follow it with: fleetops executions describe {name} --wait"
        emit(
            started,
            output,
            lambda c: c.print(f"started {what} {name}; {hint}", highlight=False, markup=False),
        )
        return None
    say(f"started {what} {name}", output)
    return follow(api, name, output, lines=lines, draw=draw)


def follow_started(
    api: ApiClient,
    started: dict[str, Any],
    wait: bool,
    output: OutputFormat,
    *,
    lines: Lines = execution_lines,
    draw: Draw = progress_table,
) -> None:
    """Say what started and how to follow it; with ``wait``, follow it and exit as it ended."""
    progress = start_or_follow(api, started, wait, output, lines=lines, draw=draw)
    if progress is None:
        return
    if output.document:
        emit(progress, output, lambda _c: None)
    finish(progress)


@app.command("deploy")
def deploy(
    environment: Annotated[str, typer.Argument(help="The environment, e.g. dev.")],
    *,
    version: Annotated[str, typer.Option("--version", help="The version to deploy.")],
    services: ServicesOption = None,
    wait: WaitOption = False,
    lock_wait: Annotated[
        str | None, typer.Option("--lock-wait", help="Wait this long (like 10m) for a held lock.")
    ] = None,
    approval_timeout: ApprovalTimeoutOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Deploy VERSION in dependency waves, health- and alarm-gated; rolled back on failure.

    Services of a wave roll out in parallel; on any failure every service deployed is returned
    to its last verified release, in reverse order.
    """
    body: dict[str, Any] = {"environment": environment, "version": version, "services": _names(services)}
    if _duration("--lock-wait", lock_wait) is not None:
        body["lock_wait"] = lock_wait
    if _duration("--approval-timeout", approval_timeout) is not None:
        body["approval_timeout"] = approval_timeout
    with _connect(file) as api:
        follow_started(api, api.post("/deployments", body), wait, output)


@app.command("rollback")
def rollback(
    environment: Annotated[str, typer.Argument(help="The environment, e.g. dev.")],
    *,
    services: ServicesOption = None,
    to_release: Annotated[
        int | None,
        typer.Option(
            "--to-release",
            min=1,
            help="Go back to this verified release (its number in `fleetops releases SERVICE`) of the one "
            "service named with --services, instead of its last verified one.",
        ),
    ] = None,
    wait: WaitOption = False,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Return services (default: all) to their last verified release, in reverse dependency order."""
    body: dict[str, Any] = {"environment": environment, "services": _names(services)}
    if to_release is not None:
        body["to_release"] = to_release
    with _connect(file) as api:
        started = api.post("/rollbacks", body)
        follow_started(api, started, wait, output)


@app.command("promote")
def promote(
    source: Annotated[str, typer.Argument(help="The environment whose verified releases to promote.")],
    target: Annotated[str, typer.Argument(help="The environment to deploy them to.")],
    *,
    services: ServicesOption = None,
    wait: WaitOption = False,
    approval_timeout: ApprovalTimeoutOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Deploy to TARGET exactly the releases verified in SOURCE.

    When TARGET has `approval: required`, the deployment waits for `fleetops approve` (or
    `--reject`); rejected or timed out, it fails and TARGET is left as it was. TARGET must
    run on this control plane (`fleetops up --env TARGET` adds it to the running one).
    """
    body: dict[str, Any] = {"source": source, "target": target, "services": _names(services)}
    if _duration("--approval-timeout", approval_timeout) is not None:
        body["approval_timeout"] = approval_timeout
    with _connect(file) as api:
        follow_started(api, api.post("/promotions", body), wait, output)


@app.command("approve")
def approve(
    execution: Annotated[str, typer.Argument(help="The deployment waiting for approval.")],
    reject: Annotated[bool, typer.Option("--reject", help="Reject it: the deployment fails.")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Approve (or --reject) a deployment waiting at its approval gate."""
    with _connect(file) as api:
        answer = api.post(f"/executions/{execution}/approval", {"approve": not reject, "reason": reason})
    verb = "approved" if answer["approved"] else "rejected"
    emit(answer, output, lambda c: c.print(f"{verb} {answer['execution']}", highlight=False, markup=False))


@app.command("stop")
def stop(
    execution: Annotated[str | None, typer.Argument(help="The execution to stop.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Stop every running deployment.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the rollbacks to their end; exit 1 unless they succeed.")
    ] = False,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Stop a deployment (or --all), then roll back what it touched.

    The execution is stopped at once; a rollback execution (named in the output) cancels its
    rollouts in flight and returns every service it touched to its last verified release.
    """
    if (execution is None) == (not all_):
        raise BadInput("name one execution to stop, or --all")
    with _connect(file) as api:
        stopped = (
            api.post("/executions/stop-all")["stopped"]
            if all_
            else [api.post(f"/executions/{execution}/stop")]
        )

        def render(c: Console) -> None:
            if not stopped:
                c.print("no deployment is running", highlight=False)
            for item in stopped:
                then = item["rollback"]
                undo = f"; rolling back with {then['execution']}" if then else "; nothing to roll back"
                line = f"stopped {item['execution']} ({item['status']}){undo}"
                c.print(line, highlight=False, markup=False)

        if not wait:
            emit(stopped, output, render)
            return
        if output is OutputFormat.TABLE:
            render(console)
        ended = [follow(api, item["rollback"]["execution"], output) for item in stopped if item["rollback"]]
    if output.document:
        emit({"stopped": stopped, "rollbacks": ended}, output, lambda _c: None)
    for progress in ended:
        finish(progress)
