"""The ends of a runbook: ``deploy-finalize``, ``deploy-failed``, ``deploy-abort``, ``rollback-finalize``.

Releases are verified only when every rollout of the deployment succeeded; after a failure the
release of the service that failed is marked failed and the others rolled back. Every end gives
the environment lock back. All of them are idempotent (a repeated mark or release is a no-op).
"""

from __future__ import annotations

from typing import Any

from fleetops.engine import TaskContext
from fleetops.ops.locks import release_lock
from fleetops.ops.releases import roll_back_pinned
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers.common import execution_name, holds_lock, read_cause, require_lock
from fleetops.store.releases import ReleaseConflict

FAILED_STATUSES = frozenset({"Failed", "RollbackSuccessful", "RollbackFailed", "RollbackInProgress"})


def failure_of(payload: dict[str, Any]) -> dict[str, str]:
    """``{"error", "cause"}`` of a caught failure (Catch's ``Error``/``Cause``; a rollout
    failure's cause is its message, without the JSON around it; a timeout has no cause, and a
    Fail state's CausePath must find one)."""
    failure = payload.get("failure") or {}
    error = str(failure.get("Error") or "fleetops.Failed")
    _, message = read_cause(failure.get("Cause"))
    return {"error": error, "cause": message or error}


def _items(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for wave in plan["waves"] for item in wave]


def finalize(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Mark every release of the deployment verified, release the lock; the verified releases.
    ``fleetops.LockLost`` (nothing marked) when the deployment no longer holds the lock."""
    environment = plan["environment"]
    require_lock(deps, environment, plan["execution"])
    now = deps.clock.now()
    verified = []
    for item in _items(plan):
        release = deps.store.releases.mark_verified(environment, item["service"], item["release"], now=now)
        verified.append({"service": release.service, "release": release.number, "version": release.version})
    release_lock(deps.store, environment, owner=plan["execution"])
    return {"verified": verified}


def deploy_failed(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """After the rollback: the failed service's release ``failed`` (the service the failure
    names: its rollout failed, or it succeeded and its smoke gate did not; and any other whose
    rollout failed), the others ``rolled_back``."""
    plan = payload["plan"]
    environment = plan["environment"]
    if not holds_lock(deps, environment, plan["execution"]):
        # The lock was force-released or taken over: another deployment may own these services
        # now, so this one leaves every release as it is.
        return {"releases": [], **failure_of(payload)}
    runtime = deps.runtime_for(environment)
    now = deps.clock.now()
    failed, _ = read_cause((payload.get("failure") or {}).get("Cause"))
    marked = []
    for item in _items(plan):
        try:
            status = runtime.describe_rollout(item["rollout_id"]).status
        except KeyError:
            status = None
        try:
            if status in FAILED_STATUSES or item["service"] == failed:
                release = deps.store.releases.mark_failed(
                    environment, item["service"], item["release"], now=now
                )
            else:
                release = deps.store.releases.mark_rolled_back(
                    environment, item["service"], item["release"], now=now
                )
        except ReleaseConflict:  # already finished by an earlier attempt of this step
            continue
        marked.append({"service": release.service, "release": release.number, "status": str(release.status)})
    release_lock(deps.store, environment, owner=plan["execution"])
    return {"releases": marked, **failure_of(payload)}


def deploy_abort(deps: RunbookDeps, payload: dict[str, Any], context: TaskContext) -> dict[str, Any]:
    """Initialize failed (refused, bad input): give back the lock if this execution took it."""
    environment = payload.get("environment")
    released = False
    if isinstance(environment, str):
        released = release_lock(deps.store, environment, owner=execution_name(context))
    return {"lock_released": released, **failure_of(payload)}


def rollback_finalize(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Release the lock; after a stop, mark the stopped execution's pinned releases rolled back."""
    plan = payload["plan"]
    environment = plan["environment"]
    stopped = plan.get("stopped_execution")
    if not holds_lock(deps, environment, plan["execution"]):
        return {"releases": [], **(failure_of(payload) if payload.get("failure") else {})}
    moved = roll_back_pinned(deps.store, environment, stopped, clock=deps.clock) if stopped else []
    marked = [{"service": r.service, "release": r.number, "status": str(r.status)} for r in moved]
    release_lock(deps.store, environment, owner=plan["execution"])
    return {"releases": marked, **(failure_of(payload) if payload.get("failure") else {})}
