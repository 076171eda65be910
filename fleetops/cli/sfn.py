"""``fleetops sfn ...``: the Step Functions API of the control plane, verb for verb as ``aws stepfunctions``.

State machines and activities may be named by name or ARN; executions by ARN (``start-execution``
prints it). ``start-execution --wait`` follows the execution to its end and exits 1 unless it
succeeded.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli.app import app
from fleetops.cli.output import OutputFormat, OutputOption, emit, plain
from fleetops.cli.progress import say
from fleetops.cli.sfn_client import answer, arn_of, sfn_session
from fleetops.errors import BadInput, Interrupted, OperationFailed

sfn_app = typer.Typer(
    name="sfn",
    help="Step Functions: state machines, executions, task tokens, activities.",
    no_args_is_help=True,
)
app.add_typer(sfn_app)

DEFAULT_ROLE_ARN = "arn:aws:iam::123456789012:role/fleetops"

MachineArg = Annotated[str, typer.Argument(help="The state machine's name or ARN.")]
ExecutionArg = Annotated[str, typer.Argument(help="The execution's ARN.")]
TokenOption = Annotated[str, typer.Option("--task-token", help="The task token the task was given.")]


def _json_text(value: str, what: str) -> str:
    """``value`` (JSON, ``@FILE`` or ``-`` for stdin) as JSON text; BadInput if it is not JSON."""
    if value == "-":
        text = sys.stdin.read()
    elif value.startswith("@"):
        try:
            text = Path(value[1:]).read_text()
        except OSError as err:
            raise BadInput(f"{what}: cannot read {value[1:]}: {err.strerror}") from err
    else:
        text = value
    try:
        json.loads(text)
    except ValueError as err:
        raise BadInput(f"{what} is not JSON: {err} (give JSON, @FILE or - for stdin)") from err
    return text


def _fields(console: Console, data: dict[str, Any]) -> None:
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        table.add_row(plain(key, "bold"), plain(shown))
    console.print(table)


def _rows(console: Console, rows: list[dict[str, Any]], columns: list[str]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*(plain(row.get(column, "")) for column in columns))
    console.print(table)


def _show(data: dict[str, Any], output: OutputFormat) -> None:
    emit(data, output, lambda console: _fields(console, data))


@sfn_app.command("create-state-machine")
def create_state_machine(
    *,
    name: Annotated[str, typer.Option(help="The state machine's name.")],
    definition: Annotated[str, typer.Option(help="The ASL definition: JSON, @FILE or - (stdin).")],
    role_arn: Annotated[str, typer.Option(help="Kept with the machine, as AWS does.")] = DEFAULT_ROLE_ARN,
    type_: Annotated[str, typer.Option("--type", help="STANDARD or EXPRESS.")] = "STANDARD",
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a state machine (admin)."""
    text = _json_text(definition, "--definition")
    with sfn_session() as sfn:
        created = answer(sfn.create_state_machine(name=name, definition=text, roleArn=role_arn, type=type_))
    _show(created, output)


@sfn_app.command("update-state-machine")
def update_state_machine(
    machine: MachineArg,
    *,
    definition: Annotated[str | None, typer.Option(help="The new definition: JSON, @FILE or -.")] = None,
    role_arn: Annotated[str | None, typer.Option(help="The new role ARN.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Replace a machine's definition or role (admin); running executions keep theirs."""
    changes: dict[str, str] = {}
    if definition is not None:
        changes["definition"] = _json_text(definition, "--definition")
    if role_arn is not None:
        changes["roleArn"] = role_arn
    with sfn_session() as sfn:
        updated = answer(sfn.update_state_machine(stateMachineArn=arn_of("stateMachine", machine), **changes))
    _show(updated, output)


@sfn_app.command("describe-state-machine")
def describe_state_machine(machine: MachineArg, *, output: OutputOption = OutputFormat.TABLE) -> None:
    """A machine: its definition, type, role, revision."""
    with sfn_session() as sfn:
        described = answer(sfn.describe_state_machine(stateMachineArn=arn_of("stateMachine", machine)))
    _show(described, output)


@sfn_app.command("list-state-machines")
def list_state_machines(*, output: OutputOption = OutputFormat.TABLE) -> None:
    """Every state machine, by name."""
    with sfn_session() as sfn:
        machines = [
            m for page in sfn.get_paginator("list_state_machines").paginate() for m in page["stateMachines"]
        ]
    emit(machines, output, lambda console: _rows(console, machines, ["name", "type", "creationDate"]))


@sfn_app.command("delete-state-machine")
def delete_state_machine(machine: MachineArg, *, output: OutputOption = OutputFormat.TABLE) -> None:
    """Delete a state machine (admin)."""
    arn = arn_of("stateMachine", machine)
    with sfn_session() as sfn:
        sfn.delete_state_machine(stateMachineArn=arn)
    emit({"stateMachineArn": arn}, output, lambda console: console.print(f"deleted {arn}", markup=False))


@sfn_app.command("start-execution")
def start_execution(
    machine: MachineArg,
    *,
    input_: Annotated[str, typer.Option("--input", help="The input: JSON, @FILE or - (stdin).")] = "{}",
    name: Annotated[str | None, typer.Option(help="The execution's name (default: a UUID).")] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow it to its end; exit 1 unless it succeeded.")
    ] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Start an execution (operator)."""
    request: dict[str, str] = {
        "stateMachineArn": arn_of("stateMachine", machine),
        "input": _json_text(input_, "--input"),
    }
    if name is not None:
        request["name"] = name
    with sfn_session() as sfn:
        started = answer(sfn.start_execution(**request))
        if not wait:
            _show(started, output)
            return
        # First, so a waiting CI log (or a Ctrl-C) already has the ARN to follow or stop it by.
        arn = started["executionArn"]
        say(f"started {arn}", output)
        try:
            while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
                time.sleep(0.5)
        except KeyboardInterrupt:
            raise Interrupted(
                f"stopped following; {arn} goes on in the control plane: follow it with "
                f"`fleetops sfn describe-execution {arn}`, stop it with `fleetops sfn stop-execution {arn}`"
            ) from None
    ended = answer(described)
    _show(ended, output)
    if ended["status"] != "SUCCEEDED":
        why = " ".join(str(ended[key]) for key in ("error", "cause") if key in ended)
        raise OperationFailed(
            f"execution {ended['name']} ended {ended['status']}" + (f": {why}" if why else "")
        )


@sfn_app.command("stop-execution")
def stop_execution(
    execution: ExecutionArg,
    *,
    error: Annotated[str | None, typer.Option(help="The error to record.")] = None,
    cause: Annotated[str | None, typer.Option(help="The cause to record.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Stop a running execution: it ends ABORTED (operator)."""
    request = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    with sfn_session() as sfn:
        stopped = answer(sfn.stop_execution(executionArn=execution, **request))
    _show(stopped, output)


@sfn_app.command("describe-execution")
def describe_execution(execution: ExecutionArg, *, output: OutputOption = OutputFormat.TABLE) -> None:
    """An execution: status, input, output or error and cause, start and stop dates."""
    with sfn_session() as sfn:
        described = answer(sfn.describe_execution(executionArn=execution))
    _show(described, output)


@sfn_app.command("list-executions")
def list_executions(
    machine: MachineArg,
    *,
    status: Annotated[
        str | None, typer.Option(help="Only RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED ones.")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """A machine's executions, newest first."""
    request: dict[str, str] = {"stateMachineArn": arn_of("stateMachine", machine)}
    if status is not None:
        request["statusFilter"] = status
    with sfn_session() as sfn:
        executions = [
            e for page in sfn.get_paginator("list_executions").paginate(**request) for e in page["executions"]
        ]
    columns = ["name", "status", "startDate", "stopDate"]
    emit(executions, output, lambda console: _rows(console, executions, columns))


@sfn_app.command("get-execution-history")
def get_execution_history(
    execution: ExecutionArg,
    *,
    reverse: Annotated[bool, typer.Option("--reverse", help="Newest event first.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """An execution's events."""
    with sfn_session() as sfn:
        pages = sfn.get_paginator("get_execution_history").paginate(
            executionArn=execution, reverseOrder=reverse
        )
        events = [event for page in pages for event in page["events"]]

    def render(console: Console) -> None:
        table = Table("id", "type", "timestamp", "details")
        for event in events:
            details: Any = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            table.add_row(*map(plain, (event["id"], event["type"], event["timestamp"], json.dumps(details))))
        console.print(table)

    emit(events, output, render)


@sfn_app.command("send-task-success")
def send_task_success(
    *,
    task_token: TokenOption,
    task_output: Annotated[str, typer.Option("--task-output", help="The task's result: JSON, @FILE or -.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Complete a callback or activity task with its result (operator)."""
    with sfn_session() as sfn:
        sfn.send_task_success(taskToken=task_token, output=_json_text(task_output, "--task-output"))
    emit({}, output, lambda console: console.print("task succeeded"))


@sfn_app.command("send-task-failure")
def send_task_failure(
    *,
    task_token: TokenOption,
    error: Annotated[str | None, typer.Option(help="The task's error name.")] = None,
    cause: Annotated[str | None, typer.Option(help="Why it failed.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Fail a callback or activity task (operator)."""
    request = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    with sfn_session() as sfn:
        sfn.send_task_failure(taskToken=task_token, **request)
    emit({}, output, lambda console: console.print("task failed"))


@sfn_app.command("send-task-heartbeat")
def send_task_heartbeat(*, task_token: TokenOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Tell a task with HeartbeatSeconds that its worker is alive (operator)."""
    with sfn_session() as sfn:
        sfn.send_task_heartbeat(taskToken=task_token)
    emit({}, output, lambda console: console.print("heartbeat sent"))


@sfn_app.command("create-activity")
def create_activity(
    name: Annotated[str, typer.Argument(help="The activity's name.")],
    *,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create an activity: a Task resource served to workers (admin)."""
    with sfn_session() as sfn:
        created = answer(sfn.create_activity(name=name))
    _show(created, output)


@sfn_app.command("list-activities")
def list_activities(*, output: OutputOption = OutputFormat.TABLE) -> None:
    """Every activity, by name."""
    with sfn_session() as sfn:
        activities = [
            a for page in sfn.get_paginator("list_activities").paginate() for a in page["activities"]
        ]
    emit(
        activities,
        output,
        lambda console: _rows(console, activities, ["name", "activityArn", "creationDate"]),
    )


@sfn_app.command("get-activity-task")
def get_activity_task(
    activity: Annotated[str, typer.Argument(help="The activity's name or ARN.")],
    *,
    worker_name: Annotated[str | None, typer.Option(help="Recorded in ActivityStarted.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Take the activity's next task (waits up to a minute); prints its token and input (operator)."""
    request = {"activityArn": arn_of("activity", activity)}
    if worker_name is not None:
        request["workerName"] = worker_name
    with sfn_session() as sfn:
        task = answer(sfn.get_activity_task(**request))
    _show(task, output)
