"""``fleetops lock release --force [--stop-holder]``: clear an environment's lock, never under a
deployment that still runs.

Force-releasing the lock of a running deployment let another deployment start beside it, and
the first one (which went on, lock or not) then rolled back over the second (issue 13: v4's
late rollback undid v5). So a lock whose holder is a RUNNING execution is refused; with
``stop_holder`` the holder is stopped through ``Deployments.stop`` (what ``fleetops stop``
does: abort, then roll back what it touched, the lock handed to that rollback until it ends).
A holder that is not running (a crashed deployment, a name no execution has) loses its lock at
once, as before.
"""

from __future__ import annotations

from typing import Any

from fleetops.control.deployments import Deployments
from fleetops.errors import BadInput, Refused
from fleetops.ops.locks import force_release_lock
from fleetops.store.executions import RUNNING


async def release_lock(
    deployments: Deployments, environment: str | None, *, stop_holder: bool, by: str
) -> dict[str, Any]:
    """``{"released": Lock JSON | None, "stopped": stop result | None, "held_by": owner | None}``.

    ``released`` is the lock taken away; None when the stopped holder keeps it for its rollback
    (``held_by``: the holder, then its rollback, which gives it back when it ends). ``BadInput``
    when nothing is locked; ``Refused`` when the holder runs and ``stop_holder`` is not set.
    """
    store = deployments.store
    if environment is None:
        held = store.locks.list()
        # One lock held: that one; otherwise force_release_lock says which to name (BadInput).
        environment = held[0].environment if len(held) == 1 else None
    lock = None if environment is None else store.locks.get(environment)
    if lock is None or not _running(deployments, lock.owner):
        released = force_release_lock(store, environment)
        return {"released": released.to_json(), "stopped": None, "held_by": None}
    if not stop_holder:
        raise Refused(
            f"environment {lock.environment!r} is locked by {lock.owner!r}, a deployment still running "
            f"(reason: {lock.reason}): without its lock it would go on beside the next deployment. "
            f"Stop it and give the environment back with: fleetops lock release --force --stop-holder "
            f"--env {lock.environment} (or fleetops stop {lock.owner})"
        )
    stopped = await deployments.stop(lock.owner, by=by)
    now = store.locks.get(lock.environment)
    return {
        "released": None if now is not None else lock.to_json(),
        "stopped": stopped,
        "held_by": None if now is None else now.owner,
    }


def _running(deployments: Deployments, owner: str) -> bool:
    try:
        record = deployments.executions.describe_execution(deployments.execution_arn(owner))
    except BadInput:  # no execution has that name (a lock taken by hand): nothing runs under it
        return False
    return record.status == RUNNING
