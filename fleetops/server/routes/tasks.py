"""``POST /tasks/run``: run one runbook task handler here, for a ``fleetops worker`` (admin).

A runbook exported to AWS Step Functions calls Activities (``fleetops.runbooks.activities``);
the worker that takes an activity task asks the control plane of the environment to run the
handler, because the handler acts on that environment's fleet, which lives here. The answer is
the handler's output, or the error and cause the runbooks catch (``fleetops.Refused``...). Admin
only: a handler may verify releases or hand a lock over, which no operator does directly.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import Field, StrictBool, StrictInt

from fleetops.control import ExecutionService
from fleetops.control.deployments import Deployments
from fleetops.engine import StatesError, TaskContext, TaskFailure
from fleetops.engine.definition.resources import parse_resource
from fleetops.errors import BadInput
from fleetops.server.auth import Principal, Role, require
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.request_models import StrictModel
from fleetops.server.route_table import RouteTable

router = RouteTable(tags=["tasks"], responses=error_responses(*AUTHENTICATED))
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class TaskRunContext(StrictModel):
    """Where the task runs: its execution on Step Functions, state, attempt and task token."""

    execution_arn: str = Field(min_length=1, max_length=600)
    state: str = Field(min_length=1, max_length=80)
    attempt: StrictInt = Field(0, ge=0)
    task_token: str | None = Field(None, max_length=2048)
    wait_for_token: StrictBool = False
    """The task stays open once its handler returned (an approval gate): the control plane
    keeps ``task_token`` to answer it later (``fleetops approve``)."""


class TaskRunBody(StrictModel):
    """Run ``resource``'s handler with ``payload``."""

    resource: str = Field(min_length=1, max_length=200, pattern=r"^fleetops:[A-Za-z0-9_.-]+$")
    payload: Any = None
    context: TaskRunContext


@router.post("/tasks/run", name="tasks.run")
async def run_task(body: TaskRunBody, request: Request, caller: Admin) -> dict[str, Any]:
    """``{"output": ...}`` when the handler returned, ``{"error", "cause"}`` when it failed."""
    del caller  # admin only (see the module docstring); the audit log names the caller
    service: ExecutionService = request.app.state.executions
    ref = parse_resource(body.resource)
    handler = None if ref is None else service.registry.handler_for(ref)
    if handler is None:
        raise BadInput(f"resource: no handler is registered here for {body.resource!r}")
    deployments: Deployments = request.app.state.deployments
    tokens = deployments.task_tokens if body.context.wait_for_token else None
    if body.context.wait_for_token and (tokens is None or not body.context.task_token):
        raise BadInput("context: a task that waits for its token needs task_token, kept by a control plane")
    context = TaskContext(
        body.context.execution_arn, body.context.state, body.context.task_token, body.context.attempt
    )
    args = (body.payload, context) if handler.takes_context else (body.payload,)
    try:
        if handler.is_async:
            output = await handler.function(*args)
        else:
            output = await asyncio.to_thread(handler.function, *args)
    except (TaskFailure, StatesError) as err:
        return {"error": None if err.error is None else str(err.error), "cause": err.cause}
    except Exception as err:  # as the engine reports a handler's own failure (Lambda's way)
        return {"error": type(err).__name__, "cause": str(err)}
    if tokens is not None and body.context.task_token:
        # Kept before the worker hears back, so the gate is answerable once it is handed over.
        await asyncio.to_thread(
            tokens.hold, body.context.execution_arn, body.context.state, body.context.task_token
        )
    return {"output": output}
