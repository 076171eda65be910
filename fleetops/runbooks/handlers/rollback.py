"""What to roll back, in which order: ``deploy-rollback-plan`` and ``rollback-initialize``.

A deployment that failed rolls back every service it touched (a rollout of it exists), in the
reverse of the order it deployed them, to each service's last *verified* release (this
deployment's releases are only pinned, so that is the one before). The rollback runbook returns
named services (default: all) to their last verified release in reverse dependency order,
skipping those already on it; after ``fleetops stop`` it undoes what the stopped execution
touched, cancelling its rollouts still in flight first.

Both plans list the targets (``targets``) and group them in ``waves``: the deployment's
dependency waves, last first. The runbooks roll one wave back at a time and the services of a
wave at once, as a deployment rolls them out: a service goes back only once every service that
depends on it is back (an old dependent works with the new dependency it ran with before; a new
dependent may need what only the new dependency has), and services of one wave do not depend on
each other.

Both plans first *fence* every rollout the deployment planned (``fence_rollout``): one not
started yet is recorded Cancelled, so it never starts. Without that, a ``deploy-service`` call
still running (the engine cannot interrupt a handler's thread: StopExecution, or a failed
sibling in the wave, only stops waiting for it) could start its rollout after the plan was
made, and leave that service on the new version, not rolled back. A rollout id is started or
fenced once, by one insert in the store, so this holds across restarts and servers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fleetops.engine import TaskContext
from fleetops.errors import BadInput
from fleetops.ops.locks import DEFAULT_LEASE, acquire_lock
from fleetops.ops.releases import rollback_target
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers.common import execution_name, requester, rollout_id
from fleetops.runbooks.handlers.polls import poll_seconds
from fleetops.runbooks.ports import FleetControl, RolloutRequest
from fleetops.spec.plan import deployment_waves
from fleetops.store.releases import Release
from fleetops.store.secrets import AWSCURRENT


def _started(runtime: FleetControl, request: RolloutRequest) -> bool:
    """Whether the rollout of ``request`` started; fenced now if it did not, so it never will."""
    return not runtime.fence_rollout(request).fenced


def _target(
    deps: RunbookDeps,
    environment: str,
    service: str,
    execution: str,
    stop_rollout_id: str | None,
    *,
    to_release: int | None = None,
) -> dict[str, Any]:
    last = (
        deps.store.releases.last_verified(environment, service)
        if to_release is None
        else rollback_target(deps.store, environment, service, to_release)
    )
    return {
        "service": service,
        "environment": environment,
        "execution": execution,
        "version": None if last is None else last.version,
        "release": None if last is None else last.number,
        "rollout_id": None if last is None else f"{execution}:rollback:{service}:{last.number}",
        "stop_rollout_id": stop_rollout_id,
        "secrets": [] if last is None else revoked_pins(deps, last),
    }


def revoked_pins(deps: RunbookDeps, release: Release) -> list[str]:
    """What a rollback to ``release`` cannot restore: each secret version it pinned that was
    revoked since (never handed out again: its instances get AWSCURRENT instead)."""
    notes = []
    for secret, pinned in sorted(release.secret_versions.items()):
        versions = {v.version_id: v for v in deps.store.secrets.versions(release.environment, secret)}
        if pinned in versions and not versions[pinned].valid:
            current = next((v.version_id for v in versions.values() if AWSCURRENT in v.stages), None)
            notes.append(
                f"release #{release.number} pinned {secret} version {pinned}, revoked since: "
                f"its instances get AWSCURRENT ({current}) instead"
            )
    return notes


def deploy_rollback_plan(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """``{"targets": [...], "waves": [[...]...]}``: the services the failed deployment touched,
    last deployed first, and the same grouped by wave (its last wave first)."""
    plan = payload["plan"]
    runtime = deps.runtime_for(plan["environment"])
    environment = plan["environment"]
    waves = []
    for wave in reversed(plan["waves"]):
        started = [
            item
            for item in sorted(wave, key=lambda i: i["service"], reverse=True)
            if _started(
                runtime,
                RolloutRequest(
                    item["rollout_id"], environment, item["service"], item["version"], int(item["release"])
                ),
            )
        ]
        targets = [
            _target(deps, environment, item["service"], plan["execution"], item["rollout_id"])
            for item in started
        ]
        if targets:
            waves.append(targets)
    return {"targets": [target for wave in waves for target in wave], "waves": waves}


def _stopped_rollouts(deps: RunbookDeps, environment: str, stopped: str) -> dict[str, str]:
    """Service -> rollout id of each rollout the stopped execution started (the others fenced)."""
    runtime = deps.runtime_for(environment)
    pinned: list[Release] = deps.store.releases.list(environment=environment, execution_id=stopped)
    requests = [
        RolloutRequest(rollout_id(stopped, r.service, r.number), environment, r.service, r.version, r.number)
        for r in pinned
    ]
    return {r.service: r.rollout_id for r in requests if _started(runtime, r)}


def rollback_initialize(deps: RunbookDeps, payload: dict[str, Any], context: TaskContext) -> dict[str, Any]:
    """Validate, take the lock, and list the rollback targets in reverse dependency order
    (``targets``), grouped in waves (``waves``, see the module docstring).

    Input: ``environment``, optional ``services``, ``requested_by``, ``lock_wait_seconds``,
    ``stopped_execution`` (undo what that execution touched). Maintenance does not refuse a
    rollback: it is how a bad change is undone, in a window or not.
    """
    fleet = deps.fleet(str(payload.get("environment")))
    environment = str(payload.get("environment"))
    if environment not in fleet.environments:
        raise BadInput(
            f"unknown environment {environment!r} (the fleet has: {', '.join(sorted(fleet.environments))})"
        )
    name = execution_name(context)
    stopped = payload.get("stopped_execution")
    stopping = _stopped_rollouts(deps, environment, stopped) if stopped else {}
    named = list(payload.get("services") or []) or (list(stopping) if stopped else sorted(fleet.services))
    unknown = [s for s in named if s not in fleet.services]
    if unknown:
        raise BadInput(
            f"unknown service {unknown[0]!r} (the fleet has: {', '.join(sorted(fleet.services))})",
            [f"unknown service {s!r}" for s in unknown],
        )
    who = requester(deps, payload, context)
    wait = payload.get("lock_wait_seconds")
    reason = f"rollback by {who}" + (f" after stopping {stopped}" if stopped else "")
    # ``fleetops stop`` leaves the stopped execution's lock held for this rollback: it is
    # handed over in one statement, so no deployment can take the environment in between.
    handed = stopped and deps.store.locks.transfer(
        environment,
        from_owner=stopped,
        to_owner=name,
        reason=reason,
        lease=DEFAULT_LEASE,
        now=deps.clock.now(),
    )
    if not handed:
        acquire_lock(
            deps.store,
            environment,
            owner=name,
            reason=reason,
            wait=timedelta(seconds=float(wait)) if wait else None,
            clock=deps.clock,
        )
    to_release = payload.get("to_release")
    if to_release is not None and len(named) != 1:
        # Release numbers are per service: one names one service's release.
        raise BadInput(
            "--to-release needs exactly one service (--services NAME): release numbers are per service"
        )
    current = deps.runtime_for(environment).current_versions()
    waves, skipped = [], []
    for wave in reversed(deployment_waves(fleet, environment, named)):
        targets = []
        for service in reversed(wave):
            target = _target(
                deps,
                environment,
                service,
                name,
                stopping.get(service),
                to_release=None if to_release is None else int(to_release),
            )
            if target["stop_rollout_id"] is None and current.get(service) == target["version"]:
                skipped.append({"service": service, "version": target["version"], "reason": "already there"})
            else:
                targets.append(target)
        if targets:
            waves.append(targets)
    return {
        "execution": name,
        "environment": environment,
        "operation": "rollback",
        "requested_by": who,
        "stopped_execution": stopped,
        "started_at": deps.clock.now().isoformat(),
        "poll_seconds": poll_seconds(fleet, environment, payload),
        "targets": [target for wave in waves for target in wave],
        "waves": waves,
        "skipped": skipped,
    }
