"""Helpers shared by the handlers: error names, the execution's name, releases of a plan."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import BadInput, FleetopsError, Refused

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
