"""The restore runbook's steps (``runbooks/restore.asl.json``): seed 004's "Database Corruption
Recovery" (drain, restore, verify, scale up) made safe.

| resource | does |
|---|---|
| ``fleetops:restore-initialize`` | validate, check the backup's sha256, take the lock, the plan |
| ``fleetops:restore-pause`` | one look: the services using the datastore scaled to 0, until none runs |
| ``fleetops:restore-snapshot`` | a backup of the current state, tagged ``pre-restore`` |
| ``fleetops:restore-apply`` | the backup (or a point in time) restored (the snapshot, on the way back) |
| ``fleetops:restore-verify`` | its tables and row counts against those recorded at backup time |
| ``fleetops:restore-resume`` | one look: the services back at their desired counts, healthy |
| ``fleetops:restore-finalize`` | the lock given back; what was done |

A point-in-time restore (``to_time``, PostgreSQL) takes the newest base backup that ended before
that time, replays the archived WAL up to it beside the live server, and moves the promoted copy
in (``fleetops.ops.backups.pitr``); its verification reports what the copy holds.

A failure after the lock was taken returns to the pre-restore snapshot (when one was taken)
and brings the services back before the execution fails. A damaged backup is refused by
initialize, before anything is paused. Every step acts only while the execution holds the
environment's lock (``fleetops.LockLost`` otherwise), and each can run again after a crash.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import BadInput
from fleetops.ops.backups.pitr import BASE_TOOL
from fleetops.ops.locks import acquire_lock, release_lock
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers.common import execution_name, holds_lock, requester, require_lock
from fleetops.runbooks.handlers.finish import failure_of
from fleetops.runbooks.handlers.polls import poll_seconds
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


def target_time(text: str) -> datetime:
    """The moment of a point-in-time restore, from ISO 8601 text with a zone (``BadInput``
    otherwise)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            f"to_time {text!r} is not a time: ISO 8601 with a zone, as 2026-12-07T04:10:00Z"
        ) from None
    if moment.tzinfo is None:
        raise BadInput(f"to_time {text!r} has no zone: add one, as 2026-12-07T04:10:00Z or +01:00")
    return moment.astimezone(UTC)


def restore_plan(
    deps: RunbookDeps,
    environment: str,
    datastore: str,
    backup_id: str | None,
    *,
    execution: str | None,
    to_time: str | None = None,
) -> dict[str, Any]:
    """What a restore of ``backup_id`` (or, with ``to_time``, of ``datastore``'s state at that
    moment: the newest base backup before it and the archived WAL after it) into ``datastore``
    will do (``fleetops restore --dry-run`` shows it): the services it pauses with their desired
    counts, the snapshot, the backup and the counts verification expects (``execution`` None: a
    dry run, whose snapshot has no id yet). ``BadInput`` for an unknown environment or
    datastore, a backup that is not this datastore's, is missing or damaged, and for a time in
    the future, before the oldest base backup, or of a datastore that is not PostgreSQL."""
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
    if (backup_id is None) == (to_time is None):
        raise BadInput("name a backup (backup_id) or a time (to_time) to restore to, not both")
    control = _control(deps, environment)
    moment = None
    if to_time is not None:
        moment = target_time(to_time)
        kind = fleet.datastores[datastore].kind
        if kind != "postgres":
            raise BadInput(
                f"datastore {datastore!r} is {kind}: point-in-time restores are PostgreSQL's "
                "(restore one of its backups with --backup)"
            )
        now = deps.clock.now()
        if moment > now:
            raise BadInput(
                f"to_time {moment.isoformat()} is in the future (it is {now.isoformat()} now): "
                "nothing to restore yet"
            )
        backup = control.base_backup_before(datastore, moment)
    else:
        backup = control.check_backup(str(backup_id), datastore)
        if backup.tool == BASE_TOOL:
            raise BadInput(
                f"backup {backup.backup_id} is a base backup ({BASE_TOOL}): it is restored to a "
                "point in time, with to_time (fleetops restore --to-time T)"
            )
    services = [{"service": s, "desired": control.desired(s)} for s in control.users(datastore)]
    source = (
        f"backup {backup.backup_id} of {backup.created_at.isoformat()} ({backup.source_position})"
        if moment is None
        else f"{datastore} as at {moment.isoformat()}: base backup {backup.backup_id} of "
        f"{backup.created_at.isoformat()} ({backup.source_position}), then the archived WAL "
        "replayed up to that time, the copy promoted and moved in"
    )
    check = (
        "verify: "
        + (", ".join(f"{table} {rows} rows" for table, rows in sorted(backup.contents.items())) or "empty")
        if moment is None
        else "verify: the server answers out of recovery; its tables and row counts recorded"
    )
    return {
        "environment": environment,
        "datastore": datastore,
        "kind": backup.kind,
        "to_time": None if moment is None else moment.isoformat(),
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
            f"restore {source}",
            check,
            "resume "
            + (", ".join(f"{s['service']} (scale 0 -> {s['desired']})" for s in services) or "no service")
            + ", until healthy",
            "release the lock (on any failure: restore the snapshot, resume, release, fail)",
        ],
    }


def initialize(deps: RunbookDeps, payload: dict[str, Any], context: TaskContext) -> dict[str, Any]:
    """Validate (a damaged backup is refused here, before anything changes), take the lock,
    and return the plan of :func:`restore_plan` with the execution's particulars.

    Input: ``environment``, ``datastore``, and ``backup_id`` or ``to_time`` (PostgreSQL: its
    state at that moment, ISO 8601 with a zone); optional ``requested_by``, ``poll_seconds``,
    ``resume_timeout_seconds``. Maintenance does not refuse a restore (it is how a broken
    datastore is recovered, in a window or not)."""
    environment = str(payload.get("environment"))
    name = execution_name(context)
    backup_id, to_time = payload.get("backup_id"), payload.get("to_time")
    plan = restore_plan(
        deps,
        environment,
        str(payload.get("datastore")),
        None if backup_id is None else str(backup_id),
        execution=name,
        to_time=None if to_time is None else str(to_time),
    )
    who = requester(deps, payload, context)
    source = plan["backup"]["backup_id"] if to_time is None else f"its state at {plan['to_time']}"
    acquire_lock(
        deps.store,
        environment,
        owner=name,
        reason=f"restore of {plan['datastore']} from {source} by {who}",
        clock=deps.clock,
    )
    return {
        **plan,
        "execution": name,
        "operation": "restore",
        "requested_by": who,
        "started_at": deps.clock.now().isoformat(),
        "poll_seconds": poll_seconds(deps.fleet(environment), environment, payload),
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
    """Restore ``backup_id`` (default: the plan's backup; with the plan's ``to_time``, the
    datastore's state at that time from the plan's base backup) into the plan's datastore."""
    plan = payload["plan"]
    require_lock(deps, plan["environment"], plan["execution"])
    control = _control(deps, plan["environment"])
    if payload.get("backup_id") is None and plan.get("to_time"):
        base = str(plan["backup"]["backup_id"])
        control.restore_to_time(plan["datastore"], base, target_time(str(plan["to_time"])))
        return {"restored": base, "to_time": plan["to_time"]}
    backup_id = str(payload.get("backup_id") or plan["backup"]["backup_id"])
    control.restore(plan["datastore"], backup_id)
    return {"restored": backup_id}


def verify(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The datastore's tables and row counts must be those recorded with the backup
    (``fleetops.VerifyFailed`` naming each difference)."""
    require_lock(deps, plan["environment"], plan["execution"])
    actual = _control(deps, plan["environment"]).contents(plan["datastore"])
    if plan.get("to_time"):
        # No count was recorded at an arbitrary moment: the copy answering out of recovery (the
        # restore waited for its promotion) is what can be checked; its counts are reported.
        return {"contents": actual, "rows": sum(actual.values())}
    expected: dict[str, int] = plan["backup"]["contents"]
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
