"""The restore runbook's steps (``runbooks/restore.asl.json``): seed 004's "Database Corruption
Recovery" (drain, restore, verify, scale up) made safe.

| resource | does |
|---|---|
| ``fleetops:restore-initialize`` | validate, check the backup's sha256, take the lock, the plan |
| ``fleetops:restore-pause`` | one look: the services using the datastore scaled to 0, until none runs |
| ``fleetops:restore-snapshot`` | a backup of the current state, tagged ``pre-restore`` |
| ``fleetops:restore-apply`` | the backup restored into the datastore (the snapshot, on the way back) |
| ``fleetops:restore-verify`` | its tables and row counts against those recorded at backup time |
| ``fleetops:restore-resume`` | one look: the services back at their desired counts, healthy |
| ``fleetops:restore-finalize`` | the lock given back; what was done |

A failure after the lock was taken returns to the pre-restore snapshot (when one was taken)
and brings the services back before the execution fails. A damaged backup is refused by
initialize, before anything is paused. Every step acts only while the execution holds the
environment's lock (``fleetops.LockLost`` otherwise), and each can run again after a crash.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import BadInput
from fleetops.ops.locks import acquire_lock, release_lock
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers.common import execution_name, holds_lock, requester, require_lock
from fleetops.runbooks.handlers.finish import failure_of
from fleetops.runbooks.handlers.initialize import DEFAULT_POLL_SECONDS
from fleetops.runbooks.ports import DatastoreControl

VERIFY_FAILED = "fleetops.VerifyFailed"
"""The restored datastore does not hold what the backup recorded."""
HEALTH_GATE_FAILED = "fleetops.HealthGateFailed"
"""A service did not come back healthy in time after the restore."""
DEFAULT_RESUME_SECONDS = 300
"""How long the services may take to be healthy again before the restore counts as failed."""
PRE_RESTORE = "pre-restore"


def _control(deps: RunbookDeps, environment: str) -> DatastoreControl:
    if deps.datastores is None:
        raise BadInput("this control plane runs no datastores: nothing to restore")
    return deps.datastores(environment)


def snapshot_id(execution: str) -> str:
    """The id of the pre-restore snapshot ``execution`` takes: found again by a retried step."""
    return f"bk-{execution}"


def restore_plan(
    deps: RunbookDeps, environment: str, datastore: str, backup_id: str, *, execution: str | None
) -> dict[str, Any]:
    """What a restore of ``backup_id`` into ``datastore`` will do (``fleetops restore --dry-run``
    shows it): the services it pauses with their desired counts, the snapshot, the backup and
    the counts verification expects (``execution`` None: a dry run, whose snapshot has no id
    yet). ``BadInput`` for an unknown environment or datastore, or a
    backup that is not this datastore's, is missing or damaged."""
    fleet = deps.fleet(environment)
    if environment not in fleet.environments:
        raise BadInput(
            f"unknown environment {environment!r} (the fleet has: {', '.join(sorted(fleet.environments))})"
        )
    present = sorted(
        name
        for name, spec in fleet.datastores.items()
        if spec.environments is None or environment in spec.environments
    )
    if datastore not in present:
        raise BadInput(
            f"environment {environment!r} has no datastore {datastore!r} "
            f"(it has: {', '.join(present) or 'none'})"
        )
    control = _control(deps, environment)
    backup = control.check_backup(backup_id, datastore)
    services = [{"service": s, "desired": control.desired(s)} for s in control.users(datastore)]
    return {
        "environment": environment,
        "datastore": datastore,
        "kind": backup.kind,
        "backup": {
            "backup_id": backup.backup_id,
            "created_at": backup.created_at.isoformat(),
            "source_position": backup.source_position,
            "contents": backup.contents,
            "sha256": backup.sha256,
        },
        "snapshot_id": None if execution is None else snapshot_id(execution),
        "services": services,
        "steps": [
            f"take the lock of {environment!r}",
            "pause "
            + (", ".join(f"{s['service']} (scale {s['desired']} -> 0)" for s in services) or "no service")
            + f": every service using {datastore}",
            f"snapshot {datastore} as it is now (a backup tagged {PRE_RESTORE}, "
            f"id {snapshot_id(execution or '<execution>')})",
            f"restore backup {backup.backup_id} of {backup.created_at.isoformat()} "
            f"({backup.source_position})",
            "verify: "
            + (
                ", ".join(f"{table} {rows} rows" for table, rows in sorted(backup.contents.items()))
                or "empty"
            ),
            "resume "
            + (", ".join(f"{s['service']} (scale 0 -> {s['desired']})" for s in services) or "no service")
            + ", until healthy",
            "release the lock (on any failure: restore the snapshot, resume, release, fail)",
        ],
    }


def initialize(deps: RunbookDeps, payload: dict[str, Any], context: TaskContext) -> dict[str, Any]:
    """Validate (a damaged backup is refused here, before anything changes), take the lock,
    and return the plan of :func:`restore_plan` with the execution's particulars.

    Input: ``environment``, ``datastore``, ``backup_id``; optional ``requested_by``,
    ``poll_seconds``, ``resume_timeout_seconds``. Maintenance does not refuse a restore (it is
    how a broken datastore is recovered, in a window or not)."""
    environment = str(payload.get("environment"))
    name = execution_name(context)
    plan = restore_plan(
        deps, environment, str(payload.get("datastore")), str(payload.get("backup_id")), execution=name
    )
    who = requester(deps, payload, context)
    acquire_lock(
        deps.store,
        environment,
        owner=name,
        reason=f"restore of {plan['datastore']} from {plan['backup']['backup_id']} by {who}",
        clock=deps.clock,
    )
    return {
        **plan,
        "execution": name,
        "operation": "restore",
        "requested_by": who,
        "started_at": deps.clock.now().isoformat(),
        "poll_seconds": int(payload.get("poll_seconds") or DEFAULT_POLL_SECONDS),
        "resume_timeout_seconds": int(payload.get("resume_timeout_seconds") or DEFAULT_RESUME_SECONDS),
    }


def pause(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Scale every service of the plan to 0; ``done`` once none of their instances runs."""
    require_lock(deps, plan["environment"], plan["execution"])
    control = _control(deps, plan["environment"])
    running = {}
    for item in plan["services"]:
        control.set_desired(item["service"], 0)
        running[item["service"]] = control.live_instances(item["service"])
    return {"done": not any(running.values()), "running": running}


def snapshot(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """A backup of the datastore as it is now, tagged ``pre-restore`` (the way back)."""
    require_lock(deps, plan["environment"], plan["execution"])
    taken = _control(deps, plan["environment"]).backup(
        plan["datastore"], backup_id=plan["snapshot_id"], tag=PRE_RESTORE
    )
    return {"backup_id": taken.backup_id, "contents": taken.contents, "sha256": taken.sha256}


def apply(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Restore ``backup_id`` (default: the plan's backup) into the plan's datastore."""
    plan = payload["plan"]
    require_lock(deps, plan["environment"], plan["execution"])
    backup_id = str(payload.get("backup_id") or plan["backup"]["backup_id"])
    _control(deps, plan["environment"]).restore(plan["datastore"], backup_id)
    return {"restored": backup_id}


def verify(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The datastore's tables and row counts must be those recorded with the backup
    (``fleetops.VerifyFailed`` naming each difference)."""
    require_lock(deps, plan["environment"], plan["execution"])
    expected: dict[str, int] = plan["backup"]["contents"]
    actual = _control(deps, plan["environment"]).contents(plan["datastore"])
    problems = [
        f"{table}: {actual.get(table, 'no')} rows, {expected.get(table, 'no')} in the backup"
        for table in sorted(set(expected) | set(actual))
        if expected.get(table) != actual.get(table)
    ]
    if problems:
        raise TaskFailure(
            VERIFY_FAILED, "the restored datastore differs from the backup: " + "; ".join(problems)
        )
    return {"contents": actual, "rows": sum(actual.values())}


def resume(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Scale every service of the plan back to its desired count; ``done`` once each has that
    many healthy instances. ``fleetops.HealthGateFailed`` after ``resume_timeout_seconds``
    from ``since`` (when the runbook first looked)."""
    plan = payload["plan"]
    require_lock(deps, plan["environment"], plan["execution"])
    control = _control(deps, plan["environment"])
    waiting = {}
    for item in plan["services"]:
        control.set_desired(item["service"], item["desired"])
        why = control.waiting_for(item["service"])
        if why is not None:
            waiting[item["service"]] = why
    if waiting:
        since = datetime.fromisoformat(str(payload["since"]).replace("Z", "+00:00"))
        if deps.clock.now() - since > timedelta(seconds=int(plan["resume_timeout_seconds"])):
            raise TaskFailure(
                HEALTH_GATE_FAILED,
                f"not healthy {plan['resume_timeout_seconds']}s after the restore: "
                + "; ".join(f"{service}: {why}" for service, why in waiting.items()),
            )
    return {"done": not waiting, "waiting": waiting}


def fall_back(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """After a failure: the pre-restore snapshot restored into the datastore, when one was
    taken (nothing else when this execution no longer holds the lock)."""
    plan = payload["plan"]
    if not holds_lock(deps, plan["environment"], plan["execution"]):
        return {"restored": None, "lock_lost": True}
    if deps.store.backups.get(plan["snapshot_id"]) is None:
        return {"restored": None, "lock_lost": False}
    _control(deps, plan["environment"]).restore(plan["datastore"], plan["snapshot_id"])
    return {"restored": plan["snapshot_id"], "lock_lost": False}


def finalize(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Give the lock back; the restore's outcome (with the failure, after one)."""
    plan = payload["plan"]
    released = release_lock(deps.store, plan["environment"], owner=plan["execution"])
    out: dict[str, Any] = {
        "datastore": plan["datastore"],
        "backup_id": plan["backup"]["backup_id"],
        "snapshot_id": plan["snapshot_id"],
        "lock_released": released,
    }
    if payload.get("failure"):
        out.update(failure_of(payload))
    return out
