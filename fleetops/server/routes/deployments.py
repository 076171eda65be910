"""Deployments, rollbacks, promotions, approvals and stops; executions listed, exported, cleaned.

They act through ``app.state.deployments`` (:class:`fleetops.control.deployments.Deployments`):
the built-in runbooks on the server's execution service and fleet runtime. A deployment that
may not start now (lock held, maintenance, blocked service) is refused at once (423, CLI exit 3).
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from pydantic import Field, StrictInt
from starlette.concurrency import run_in_threadpool

from fleetops.control.deployments import Deployments, Started, describe, machine_name
from fleetops.errors import BadInput
from fleetops.jsonlimits import loads
from fleetops.runbooks import RUNBOOKS
from fleetops.server.auth import Principal, Role, require
from fleetops.server.deps import RedactorDep, StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.spec.duration_field import Duration
from fleetops.spec.resources import Version
from fleetops.store.execution_archive import cleanup_executions, export_executions, import_executions

router = RouteTable(tags=["deployments"], responses=error_responses(*AUTHENTICATED, 404, 409, 423))
# Routes that start executions are async: the execution service starts them on the server's loop.
viewer = [Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
ExecutionName = Annotated[str, Path(max_length=600, description="An execution name or ARN.")]
Names = list[Annotated[str, Field(max_length=100)]]
APPROVAL_TIMEOUT = (
    "How long the approval gate of an `approval: required` environment waits (like 30m; default 1d)."
)


def _seconds(duration: timedelta | None) -> int | None:
    # Whole seconds, at least one: TimeoutSecondsPath takes a positive integer. Less is refused
    # rather than raised to 1s, which would time the gate out at once the user did not ask for.
    if duration is None:
        return None
    if duration < timedelta(seconds=1):
        raise BadInput(
            f"approval_timeout {duration.total_seconds():g}s: it must be at least 1s (like 30m; default 1d)"
        )
    return math.ceil(duration.total_seconds())


async def _started(start: Callable[[], Started]) -> Started:
    """``start()`` in a thread of the request pool, off the server's event loop: its checks,
    its state machine and its insert are store round trips (on Step Functions, network calls)
    that every running execution's next step would otherwise wait behind; only the engine's
    launch of a local execution hops onto the loop (``ExecutionService.start_execution``)."""
    return await run_in_threadpool(start)


def get_deployments(request: Request) -> Deployments:
    """The app's deployments service."""
    deployments: Deployments = request.app.state.deployments
    return deployments


DeploymentsDep = Annotated[Deployments, Depends(get_deployments)]


class DeployBody(StrictModel):
    """Deploy ``version`` to the named services (default: all) of ``environment``."""

    environment: str = Field(min_length=1, max_length=100)
    version: Version
    services: Names = Field(default_factory=list, max_length=100)
    lock_wait: Duration | None = Field(None, description="Wait this long for a held lock (like 10m).")
    approval_timeout: Duration | None = Field(None, description=APPROVAL_TIMEOUT)


class RollbackBody(StrictModel):
    """Return the named services (default: all) of ``environment`` to their last verified release."""

    environment: str = Field(min_length=1, max_length=100)
    services: Names = Field(default_factory=list, max_length=100)
    to_release: StrictInt | None = Field(
        None, ge=1, description="a verified release of the one service named"
    )


class PromoteBody(StrictModel):
    """Deploy to ``target`` exactly the releases verified in ``source``."""

    source: str = Field(min_length=1, max_length=100)
    target: str = Field(min_length=1, max_length=100)
    services: Names = Field(default_factory=list, max_length=100)
    approval_timeout: Duration | None = Field(None, description=APPROVAL_TIMEOUT)


class ApprovalBody(StrictModel):
    """Approve (default) or reject a deployment waiting at its approval gate."""

    approve: bool = True
    reason: str | None = Field(None, max_length=500)


class CleanupBody(StrictModel):
    """Keep the newest ``keep`` finished executions, delete the older ones."""

    keep: int = Field(ge=0, le=1_000_000)


@router.post("/deployments", name="deployments.start", status_code=201)
async def start_deployment(
    body: DeployBody, request: Request, deployments: DeploymentsDep, caller: Operator
) -> dict[str, Any]:
    """Start the deploy runbook; refused at once when the lock is held or deploys are blocked."""
    check_request_names(request, environments=[body.environment], services=body.services)
    wait = None if body.lock_wait is None else body.lock_wait.total_seconds()
    start = functools.partial(
        deployments.deploy,
        environment=body.environment,
        version=body.version,
        services=body.services,
        lock_wait_seconds=wait,
        requested_by=caller.name,
        approval_timeout_seconds=_seconds(body.approval_timeout),
    )
    return (await _started(start)).to_json()


@router.get("/deployments/{execution}", name="deployments.get", dependencies=viewer)
def get_deployment(
    execution: ExecutionName, deployments: DeploymentsDep, redactor: RedactorDep
) -> dict[str, Any]:
    """The execution and each service's rollout now (status, percentage, checkpoint, reason)."""
    answer: dict[str, Any] = redactor.value(deployments.progress(execution))
    return answer


@router.post("/rollbacks", name="rollbacks.start", status_code=201)
async def start_rollback(
    body: RollbackBody, request: Request, deployments: DeploymentsDep, caller: Operator
) -> dict[str, Any]:
    """Start the rollback runbook."""
    check_request_names(request, environments=[body.environment], services=body.services)
    start = functools.partial(
        deployments.rollback,
        environment=body.environment,
        services=body.services,
        requested_by=caller.name,
        to_release=body.to_release,
    )
    return (await _started(start)).to_json()


@router.post("/promotions", name="promotions.start", status_code=201)
async def start_promotion(
    body: PromoteBody, request: Request, deployments: DeploymentsDep, caller: Operator
) -> dict[str, Any]:
    """Start a deployment of ``source``'s verified releases to ``target``."""
    check_request_names(request, environments=[body.source, body.target], services=body.services)
    start = functools.partial(
        deployments.promote,
        source=body.source,
        target=body.target,
        services=body.services,
        requested_by=caller.name,
        approval_timeout_seconds=_seconds(body.approval_timeout),
    )
    return (await _started(start)).to_json()


@router.post("/executions/{execution}/approval", name="executions.approve")
def approve(
    execution: ExecutionName, body: ApprovalBody, deployments: DeploymentsDep, caller: Operator
) -> dict[str, Any]:
    """Approve or reject the deployment's approval gate."""
    return deployments.approve(execution, approved=body.approve, by=caller.name, reason=body.reason)


@router.post("/executions/{execution}/stop", name="executions.stop")
async def stop(execution: ExecutionName, deployments: DeploymentsDep, caller: Operator) -> dict[str, Any]:
    """Stop the execution, then roll back the services it touched (the rollback's name returned)."""
    return await deployments.stop(execution, by=caller.name)


@router.post("/executions/stop-all", name="executions.stop_all")
async def stop_all(deployments: DeploymentsDep, caller: Operator) -> dict[str, Any]:
    """Stop every running deployment, each rolled back as ``stop`` does."""
    return {"stopped": await deployments.stop_all(by=caller.name)}


@router.get("/executions", name="executions.list", dependencies=viewer)
def list_executions(
    deployments: DeploymentsDep,
    redactor: RedactorDep,
    runbook: Annotated[str, Query(pattern="^(deploy|rollback|all)$")] = "all",
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """Executions of the built-in runbooks, newest first."""
    names = RUNBOOKS if runbook == "all" else (runbook,)
    records = [
        record
        for name in names
        for record in deployments.store.executions.list(
            deployments.executions.engine.state_machine_arn(machine_name(name)), status=status, limit=limit
        )
    ]
    # Those of aws-stepfunctions environments, from ListExecutions of their exported machines.
    records += deployments.remote_executions(names, status=status, limit=limit)
    records.sort(key=lambda r: r.start_date, reverse=True)
    return {"executions": [redactor.value(describe(r)) for r in records[:limit]]}


@router.get("/executions/export", name="executions.export", dependencies=viewer)
def export(
    store: StoreDep, redactor: RedactorDep, clock: ClockDep, days: Annotated[float, Query(gt=0, le=3650)] = 7
) -> dict[str, Any]:
    """Finished executions of the last ``days`` days with their histories (for ``import``)."""
    answer: dict[str, Any] = redactor.value(
        export_executions(store, since=clock.now() - timedelta(days=days))
    )
    return answer


@router.post(
    "/executions/import",
    name="executions.import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "An export (`GET /executions/export`), at most 64 MiB.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def import_(request: Request, store: StoreDep, _caller: Admin) -> dict[str, int]:
    """Add the executions of an export this store lacks."""
    # The body is read here, after the caller is known to be an admin (a body parameter would
    # be read before): an export may be far larger than other requests (body_limits).
    raw = await request.body()
    try:
        document = loads(raw, "the export")
    except ValueError as err:
        raise BadInput(f"the export is not JSON: {err}") from err
    executions = document.get("executions") if isinstance(document, dict) else None
    # The audit entry says what was imported, not the payload.
    request.state.audit_arguments = {
        "bytes": len(raw),
        "executions": len(executions) if isinstance(executions, list) else None,
    }
    return await asyncio.to_thread(import_executions, store, document)


@router.post("/executions/cleanup", name="executions.cleanup")
def cleanup(body: CleanupBody, store: StoreDep, _caller: Admin) -> dict[str, Any]:
    """Delete finished executions beyond the newest ``keep``."""
    deleted = cleanup_executions(store, keep=body.keep)
    return {"deleted": len(deleted), "kept": body.keep}


@router.get("/executions/{execution}", name="executions.get", dependencies=viewer)
def get_execution(
    execution: ExecutionName, deployments: DeploymentsDep, redactor: RedactorDep
) -> dict[str, Any]:
    """One execution (a name of a built-in runbook's execution, or any ARN)."""
    answer: dict[str, Any] = redactor.value(describe(deployments.record(execution)))
    return answer


@router.get("/executions/{execution}/history", name="executions.history", dependencies=viewer)
def history(execution: ExecutionName, deployments: DeploymentsDep, redactor: RedactorDep) -> dict[str, Any]:
    """The execution's events, oldest first (AWS shapes, timestamps as ISO 8601)."""
    events = deployments.history(execution)
    return {
        "events": [
            redactor.value({**event.to_aws(), "timestamp": event.timestamp.isoformat()}) for event in events
        ]
    }
