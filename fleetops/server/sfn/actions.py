"""Every Step Functions action the control plane serves: the least role it needs, its audit
name (None: a read, not audited), and its implementation over the ``ExecutionService``."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from fleetops.control import ExecutionService, versions
from fleetops.control.deployments import machine_name
from fleetops.control.names import InvalidOutput, check_arn, parse_json
from fleetops.engine import InvalidDefinition, parse_definition
from fleetops.errors import BadInput, Forbidden
from fleetops.runbooks.handlers.approval import pending_approval_token
from fleetops.server.auth import Principal
from fleetops.server.roles import Role
from fleetops.server.sfn import shapes
from fleetops.server.sfn.validation import ValidationException
from fleetops.store.state_machines import StateMachineDoesNotExist

# GetActivityTask holds the request this long when no task is waiting (AWS: 60 s; botocore's
# read timeout is also 60 s, so answer a little before it gives up).
ACTIVITY_POLL_SECONDS = 55.0

Body = dict[str, Any]
Implementation = Callable[[ExecutionService, Body], Awaitable[Body]]

CALLER: ContextVar[Principal] = ContextVar("sfn_caller")
"""Who makes the call being served (set by the protocol around each action)."""
DISCONNECTED: ContextVar[Callable[[], Awaitable[bool]]] = ContextVar("sfn_disconnected")
"""Whether the caller went away (set by the protocol; a long poll stops waiting for it)."""
DISCONNECT_CHECK_SECONDS = 1.0
"""How often a waiting GetActivityTask looks whether its caller is still there."""


class InvalidToken(BadInput):
    """A pagination token this server did not hand out."""

    aws_code = "InvalidToken"


@dataclass(frozen=True)
class Action:
    """One action: ``role`` is the least role allowed; ``audit`` the audit action name."""

    name: str
    role: Role
    audit: str | None
    run: Implementation
    target: str | None = None
    """The request member naming what the action acts on (the audit entry's target)."""


ACTIONS: dict[str, Action] = {}


def action(
    name: str, role: Role, audit: str | None = None, target: str | None = None
) -> Callable[[Implementation], Implementation]:
    """Register the decorated coroutine as the implementation of ``name``."""

    def add(function: Implementation) -> Implementation:
        ACTIONS[name] = Action(name, role, audit, function, target)
        return function

    return add


def required(body: Body, member: str) -> str:
    """A required string member of the request (ValidationException if absent)."""
    value = body.get(member)
    if not isinstance(value, str) or not value:
        raise ValidationException(
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            "Member must not be null"
        )
    return value


def page(body: Body, default: int = 100) -> tuple[int, int]:
    """(limit, offset) from maxResults and nextToken."""
    limit = body.get("maxResults") or default
    if not isinstance(limit, int) or not 0 < limit <= 1000:
        raise ValidationException(f"maxResults must be between 1 and 1000, got {limit!r}")
    token = body.get("nextToken")
    if token is None:
        return limit, 0
    try:
        offset = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise InvalidToken(f"Invalid Token: '{token}'") from err
    return limit, offset


def next_page(items: list[Any], limit: int, offset: int) -> dict[str, str]:
    if len(items) < limit:
        return {}
    token = base64.urlsafe_b64encode(json.dumps({"offset": offset + limit}).encode()).decode()
    return {"nextToken": token}


@action("CreateStateMachine", Role.ADMIN, "state_machines.create", target="name")
async def create_state_machine(service: ExecutionService, body: Body) -> Body:
    record = service.machines.create(
        required(body, "name"),
        required(body, "definition"),
        role_arn=body.get("roleArn"),
        machine_type=body.get("type") or "STANDARD",
    )
    answer: Body = {"stateMachineArn": record.arn, "creationDate": shapes.epoch(record.created_at)}
    if body.get("publish") is True:
        published = versions.publish(
            service.store, record.arn, revision_id=None, description=body.get("versionDescription")
        )
        answer["stateMachineVersionArn"] = published.arn
    return answer


@action("UpdateStateMachine", Role.ADMIN, "state_machines.update", target="stateMachineArn")
async def update_state_machine(service: ExecutionService, body: Body) -> Body:
    record = service.machines.update(
        required(body, "stateMachineArn"), definition=body.get("definition"), role_arn=body.get("roleArn")
    )
    answer: Body = {"updateDate": shapes.epoch(record.updated_at), "revisionId": str(record.revision)}
    if body.get("publish") is True:
        published = versions.publish(
            service.store, record.arn, revision_id=None, description=body.get("versionDescription")
        )
        answer["stateMachineVersionArn"] = published.arn
    return answer


@action("DescribeStateMachine", Role.VIEWER)
async def describe_state_machine(service: ExecutionService, body: Body) -> Body:
    arn = check_arn(required(body, "stateMachineArn"), "stateMachine")
    machine_arn, qualifier = versions.split(arn)
    machine = service.store.state_machines.get(machine_arn)
    if qualifier is None:
        return shapes.state_machine(machine)
    if not qualifier.isdigit():
        raise ValidationException(f"DescribeStateMachine takes a machine or version ARN, not the alias {arn}")
    return shapes.version(service.store.versions.get(arn), machine.name)


@action("DescribeStateMachineForExecution", Role.VIEWER)
async def describe_state_machine_for_execution(service: ExecutionService, body: Body) -> Body:
    record = service.describe_execution(required(body, "executionArn"))
    try:
        machine = service.store.state_machines.get(record.state_machine_arn)
        role_arn, updated = machine.role_arn, machine.updated_at
    except StateMachineDoesNotExist:  # deleted since: the execution still has its definition
        role_arn, updated = service.engine.role_arn, record.start_date
    return {
        "stateMachineArn": record.state_machine_arn,
        "name": record.state_machine_arn.rsplit(":", 1)[-1],
        "definition": record.definition,  # the one the execution runs, even after an update
        "roleArn": role_arn,
        "updateDate": shapes.epoch(min(updated, record.start_date)),
    }


@action("ListStateMachines", Role.VIEWER)
async def list_state_machines(service: ExecutionService, body: Body) -> Body:
    limit, offset = page(body)
    records = service.store.state_machines.list(limit=limit, offset=offset)
    return {
        "stateMachines": [shapes.state_machine_item(r) for r in records],
        **next_page(records, limit, offset),
    }


@action("DeleteStateMachine", Role.ADMIN, "state_machines.delete", target="stateMachineArn")
async def delete_state_machine(service: ExecutionService, body: Body) -> Body:
    arn = check_arn(required(body, "stateMachineArn"), "stateMachine")
    if versions.split(arn)[1] is not None:
        raise ValidationException(
            f"DeleteStateMachine takes a machine ARN: delete {arn} with DeleteStateMachineVersion or "
            "DeleteStateMachineAlias"
        )
    service.store.state_machines.delete(arn)
    service.store.versions.delete_machine(arn)
    return {}


@action("StartExecution", Role.OPERATOR, "executions.start", target="stateMachineArn")
async def start_execution(service: ExecutionService, body: Body) -> Body:
    # The caller's identity is recorded: a runbook credits its lock and releases to it, so a
    # ``requested_by`` in the input cannot credit a deployment to someone else.
    record = service.start_execution(
        required(body, "stateMachineArn"),
        name=body.get("name"),
        input_text=body.get("input"),
        started_by=CALLER.get().name,
    )
    return {"executionArn": record.arn, "startDate": shapes.epoch(record.start_date)}


@action("StopExecution", Role.OPERATOR, "executions.stop", target="executionArn")
async def stop_execution(service: ExecutionService, body: Body) -> Body:
    # A built-in runbook's execution is stopped as ``fleetops stop`` stops it (rolled back).
    record = await service.stop_as(
        required(body, "executionArn"), by=CALLER.get().name, error=body.get("error"), cause=body.get("cause")
    )
    assert record.stop_date is not None
    return {"stopDate": shapes.epoch(record.stop_date)}


@action("DescribeExecution", Role.VIEWER)
async def describe_execution(service: ExecutionService, body: Body) -> Body:
    return shapes.execution(service.describe_execution(required(body, "executionArn")))


@action("ListExecutions", Role.VIEWER)
async def list_executions(service: ExecutionService, body: Body) -> Body:
    arn = check_arn(required(body, "stateMachineArn"), "stateMachine")
    machine_arn, qualifier = versions.split(arn)
    service.store.state_machines.get(machine_arn)
    through: dict[str, str] = {}
    if qualifier is not None:
        through["version_arn" if qualifier.isdigit() else "alias_arn"] = arn
    limit, offset = page(body)
    service.writer.flush()
    records = service.store.executions.list(
        machine_arn, status=body.get("statusFilter"), limit=limit, offset=offset, **through
    )
    return {"executions": [shapes.execution_item(r) for r in records], **next_page(records, limit, offset)}


@action("GetExecutionHistory", Role.VIEWER)
async def get_execution_history(service: ExecutionService, body: Body) -> Body:
    limit, offset = page(body)
    events = service.history(
        required(body, "executionArn"), reverse=bool(body.get("reverseOrder")), limit=limit, offset=offset
    )
    include = body.get("includeExecutionData", True) is not False
    return {
        "events": [shapes.event(e, include_data=include) for e in events],
        **next_page(events, limit, offset),
    }


class ApprovalElsewhere(Forbidden):
    """A deployment's approval token sent to SendTask*: it would skip the check of who approves."""

    aws_code = "AccessDeniedException"


def _not_an_approval(service: ExecutionService, token: str) -> None:
    # The approval gate's token is in the deployment's history (any viewer reads it), so an
    # operator could approve their own deployment here: approvals go through `fleetops approve`.
    arn = service.store.task_callbacks.execution_of(token)
    if arn is None or f":execution:{machine_name('deploy')}:" not in arn:
        return
    if pending_approval_token(service.history(arn)) == token:
        name = arn.rsplit(":", 1)[-1]
        raise ApprovalElsewhere(
            f"this task token is the approval gate of deployment {name}: approve or reject it with "
            f"`fleetops approve {name}` (POST /api/v1/executions/{name}/approval), which checks who approves"
        )


@action("SendTaskSuccess", Role.OPERATOR, "tasks.succeed")
async def send_task_success(service: ExecutionService, body: Body) -> Body:
    output = parse_json(required(body, "output"), InvalidOutput, "output")
    _not_an_approval(service, required(body, "taskToken"))
    service.callbacks.send_task_success(required(body, "taskToken"), output)
    return {}


@action("SendTaskFailure", Role.OPERATOR, "tasks.fail")
async def send_task_failure(service: ExecutionService, body: Body) -> Body:
    _not_an_approval(service, required(body, "taskToken"))
    service.callbacks.send_task_failure(required(body, "taskToken"), body.get("error"), body.get("cause"))
    return {}


@action("SendTaskHeartbeat", Role.OPERATOR, "tasks.heartbeat")
async def send_task_heartbeat(service: ExecutionService, body: Body) -> Body:
    service.callbacks.send_task_heartbeat(required(body, "taskToken"))
    return {}


@action("CreateActivity", Role.ADMIN, "activities.create", target="name")
async def create_activity(service: ExecutionService, body: Body) -> Body:
    record = service.machines.create_activity(required(body, "name"))
    return {"activityArn": record.arn, "creationDate": shapes.epoch(record.created_at)}


@action("DescribeActivity", Role.VIEWER)
async def describe_activity(service: ExecutionService, body: Body) -> Body:
    arn = check_arn(required(body, "activityArn"), "activity")
    return shapes.activity(service.store.state_machines.get_activity(arn))


@action("ListActivities", Role.VIEWER)
async def list_activities(service: ExecutionService, body: Body) -> Body:
    limit, offset = page(body)
    records = service.store.state_machines.list_activities(limit=limit, offset=offset)
    return {"activities": [shapes.activity(r) for r in records], **next_page(records, limit, offset)}


@action("DeleteActivity", Role.ADMIN, "activities.delete", target="activityArn")
async def delete_activity(service: ExecutionService, body: Body) -> Body:
    service.store.state_machines.delete_activity(check_arn(required(body, "activityArn"), "activity"))
    return {}


@action("GetActivityTask", Role.OPERATOR)
async def get_activity_task(service: ExecutionService, body: Body) -> Body:
    arn = check_arn(required(body, "activityArn"), "activity")
    service.store.state_machines.get_activity(arn)
    # Looked at in slices: a poll whose worker went away (killed) must not take a task it would
    # never run (it would wait for its heartbeat timeout, or forever without one).
    gone = DISCONNECTED.get(None)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ACTIVITY_POLL_SECONDS
    while True:
        left = deadline - loop.time()
        if left <= 0:
            return {}
        task = await service.engine.get_activity_task(
            arn, body.get("workerName"), wait_seconds=min(left, DISCONNECT_CHECK_SECONDS)
        )
        if task is not None:
            break
        if gone is not None and await gone():
            return {}
    return {"taskToken": task.token, "input": json.dumps(task.input, separators=(",", ":"))}


def _tagged(service: ExecutionService, arn: str) -> str:
    """``arn`` of an existing state machine or activity (its error when there is none)."""
    if ":activity:" in arn:
        service.store.state_machines.get_activity(check_arn(arn, "activity"))
    else:
        service.store.state_machines.get(check_arn(arn, "stateMachine"))
    return arn


@action("TagResource", Role.OPERATOR, "state_machines.tag", target="resourceArn")
async def tag_resource(service: ExecutionService, body: Body) -> Body:
    arn = _tagged(service, required(body, "resourceArn"))
    tags = body.get("tags")
    if not isinstance(tags, list) or not all(
        isinstance(t, dict) and isinstance(t.get("key"), str) and isinstance(t.get("value", ""), str)
        for t in tags
    ):
        raise ValidationException("tags must be a list of {key, value} strings")
    service.store.tags.tag(arn, {t["key"]: t.get("value", "") for t in tags})
    return {}


@action("UntagResource", Role.OPERATOR, "state_machines.untag", target="resourceArn")
async def untag_resource(service: ExecutionService, body: Body) -> Body:
    arn = _tagged(service, required(body, "resourceArn"))
    keys = body.get("tagKeys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValidationException("tagKeys must be a list of strings")
    service.store.tags.untag(arn, keys)
    return {}


@action("ListTagsForResource", Role.VIEWER)
async def list_tags_for_resource(service: ExecutionService, body: Body) -> Body:
    arn = _tagged(service, required(body, "resourceArn"))
    return {"tags": [{"key": k, "value": v} for k, v in service.store.tags.list(arn).items()]}


@action("ValidateStateMachineDefinition", Role.VIEWER)
async def validate_state_machine_definition(service: ExecutionService, body: Body) -> Body:
    definition = required(body, "definition")
    try:
        parse_definition(definition, machine_type=body.get("type") or "STANDARD")
    except InvalidDefinition as err:
        return {"result": "FAIL", "diagnostics": [d.to_aws() for d in err.diagnostics], "truncated": False}
    return {"result": "OK", "diagnostics": [], "truncated": False}


SYNC_WAIT_SECONDS = 300.0
"""StartSyncExecution waits this long (AWS: an Express execution runs at most 5 minutes)."""


@action("StartSyncExecution", Role.OPERATOR, "executions.start_sync", target="stateMachineArn")
async def start_sync_execution(service: ExecutionService, body: Body) -> Body:
    record = service.start_execution(
        required(body, "stateMachineArn"), name=body.get("name"), input_text=body.get("input")
    )
    try:
        await asyncio.wait_for(service.wait(record.arn), SYNC_WAIT_SECONDS)
    except TimeoutError:
        await service.stop_execution(record.arn, error="States.Timeout", cause="StartSyncExecution timed out")
    ended = service.describe_execution(record.arn)
    answer: Body = {
        "executionArn": ended.arn,
        "stateMachineArn": ended.state_machine_arn,
        "name": ended.name,
        "startDate": shapes.epoch(ended.start_date),
        "stopDate": shapes.epoch(ended.stop_date or ended.start_date),
        "status": "TIMED_OUT" if ended.status == "ABORTED" else ended.status,
        "input": ended.input,
        "inputDetails": {"included": True},
        "billingDetails": {"billedMemoryUsedInMB": 0, "billedDurationInMilliseconds": 0},
    }
    if ended.output is not None:
        answer["output"] = ended.output
        answer["outputDetails"] = {"included": True}
    for key in ("error", "cause"):
        value = getattr(ended, key)
        if value is not None:
            answer[key] = value
    return answer
