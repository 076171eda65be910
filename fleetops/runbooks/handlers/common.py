"""Helpers shared by the handlers: error names, the execution's name and who started it, rollout
ids, failures."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import BadInput, FleetopsError, Refused
from fleetops.ops.locks import renew_lock
from fleetops.runbooks.deps import RunbookDeps
from fleetops.store.executions import ExecutionDoesNotExist

REFUSED = "fleetops.Refused"
"""A deployment may not run now (lock held, maintenance, blocked service): CLI exit 3."""
BAD_INPUT = "fleetops.BadInput"
"""The request is wrong (unknown service, no version): CLI exit 2."""
ROLLOUT_FAILED = "fleetops.RolloutFailed"
"""A service's rollout failed a gate (health, alarm) or could not start."""
ROLLBACK_FAILED = "fleetops.RollbackFailed"
"""Returning a service to its last verified release failed: the operator must act."""
LOCK_LOST = "fleetops.LockLost"
"""The environment lock was force-released or taken over while the deployment ran."""
FAILED = "fleetops.Failed"
"""Any other fleetops error."""


def rollout_id(execution: str, service: str, release: int) -> str:
    """``d2:orders:7``: the id of the rollout of ``service``'s release ``release`` that
    ``execution`` plans; deterministic, so a retry finds it and a rollback can fence it."""
    return f"{execution}:{service}:{release}"


def rollout_failed(service: str, message: str) -> TaskFailure:
    """``fleetops.RolloutFailed`` of ``service``: its cause is JSON ``{"service", "message"}`` (as
    a Lambda function's error is), so the end of the deployment knows which release failed
    without reading the text, and shows people the message (:func:`read_cause`)."""
    return TaskFailure(ROLLOUT_FAILED, json.dumps({"service": service, "message": message}))


def read_cause(cause: str | None) -> tuple[str | None, str]:
    """``(service, message)`` of a caught failure's cause: those of :func:`rollout_failed`'s
    JSON, or ``(None, cause)`` for any other cause."""
    try:
        data = json.loads(cause or "")
    except ValueError:
        return None, cause or ""
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return None, cause or ""
    service = data.get("service")
    return (service if isinstance(service, str) else None), data["message"]


def require_lock(deps: RunbookDeps, environment: str, owner: str) -> None:
    """Renew ``owner``'s lock of ``environment``; ``fleetops.LockLost`` when it no longer holds it.

    Called by every step that changes the fleet or the releases, before it does: an execution
    whose lock was force-released or taken over must never act again (another deployment may
    own the environment now), not even to roll back or to mark its releases.
    """
    try:
        renew_lock(deps.store, environment, owner=owner, clock=deps.clock)
    except Refused as err:
        raise TaskFailure(LOCK_LOST, err.message) from err


def holds_lock(deps: RunbookDeps, environment: str, owner: str) -> bool:
    """Whether ``owner`` still holds the lock of ``environment`` (renewing it if so)."""
    try:
        require_lock(deps, environment, owner)
    except TaskFailure:
        return False
    return True


def requester(deps: RunbookDeps, payload: Mapping[str, Any], context: TaskContext) -> str:
    """Who the execution works for: the authenticated caller the server recorded when it was
    started. The input's ``requested_by`` counts only for an execution the store does not hold
    (an engine run outside a server, as in tests) or one started before callers were recorded:
    an operator cannot credit a deployment, its lock and its releases to someone else."""
    try:
        started_by = deps.store.executions.get(context.execution_arn).started_by
    except ExecutionDoesNotExist:
        started_by = None
    return started_by or str(payload.get("requested_by") or "fleetops")


def execution_name(context: TaskContext) -> str:
    """The name of the execution the task runs in (the lock owner, the release's execution id)."""
    return context.execution_arn.rsplit(":", 1)[-1]


@contextmanager
def as_task_failure() -> Iterator[None]:
    """Turn fleetops errors into task failures with names the definitions catch and the CLI maps."""
    try:
        yield
    except Refused as err:
        raise TaskFailure(REFUSED, err.message) from err
    except BadInput as err:
        raise TaskFailure(BAD_INPUT, "; ".join(err.problems)) from err
    except FleetopsError as err:
        raise TaskFailure(FAILED, err.message) from err
