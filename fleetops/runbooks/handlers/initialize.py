"""``fleetops:deploy-initialize``: validate, refuse or lock, pin releases, compute the waves.

Input (the execution input): ``environment``, and either ``version`` (every named service, or
all, to that version) or ``versions`` (service -> version, a promotion); optional ``services``,
``requested_by``, ``lock_wait_seconds``, ``operation`` (``deploy`` or ``promote``),
``promote_from``. Output: the deployment plan the rest of the runbook walks (see
:func:`initialize`), or a queued answer while it waits for the lock. Idempotent: a retried call
finds its lock and its pinned releases.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fleetops.engine import TaskContext
from fleetops.errors import BadInput, Refused
from fleetops.ops.clock import span
from fleetops.ops.gates import check_change
from fleetops.ops.locks import acquire_lock, refusal, release_lock
from fleetops.ops.releases import current_secret_versions, pin_releases, resolved_config
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers.common import execution_name, requester, rollout_id
from fleetops.runbooks.handlers.polls import poll_seconds
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import Approval
from fleetops.spec.plan import deployment_waves
from fleetops.store.stops import ExecutionStopped

DEFAULT_APPROVAL_SECONDS = 24 * 3600
"""How long an approval gate waits before the deployment fails (States.Timeout)."""


def target_versions(fleet: Fleet, payload: dict[str, Any]) -> dict[str, str]:
    """Service -> version the request asks for, every name checked (``BadInput`` lists them all)."""
    environment = payload.get("environment")
    problems = []
    if environment not in fleet.environments:
        problems.append(
            f"unknown environment {environment!r} (the fleet has: {', '.join(sorted(fleet.environments))})"
        )
    versions = payload.get("versions")
    names = list(payload.get("services") or [])
    if versions:
        chosen = {s: str(v) for s, v in versions.items() if not names or s in names}
        names = names or list(chosen)
        problems += [f"no version for service {s!r}" for s in names if s not in chosen]
    elif payload.get("version"):
        names = names or sorted(fleet.services)
        chosen = dict.fromkeys(names, str(payload["version"]))
    else:
        chosen = {}
        problems.append("name the version to deploy (version) or a version per service (versions)")
    problems += [
        f"unknown service {s!r} (the fleet has: {', '.join(sorted(fleet.services))})"
        for s in chosen
        if s not in fleet.services
    ]
    if not chosen and not problems:
        problems.append("no service to deploy")
    if problems:
        raise BadInput(f"cannot deploy: {problems[0]}", problems)
    return chosen


def unchanged(deps: RunbookDeps, fleet: Fleet, environment: str, chosen: dict[str, str]) -> dict[str, str]:
    """Service -> why it is skipped: it runs the target version already, and its last verified
    release there is that version with the same settings (a rollout would change nothing)."""
    current = deps.runtime_for(environment).current_versions()
    skipped = {}
    for service, version in chosen.items():
        if current.get(service) != version:
            continue
        last = deps.store.releases.last_verified(environment, service)
        same = last is not None and last.version == version
        if same and last.config == resolved_config(fleet, environment, service, version):  # type: ignore[union-attr]
            skipped[service] = f"already on {version} (release #{last.number}, verified)"  # type: ignore[union-attr]
    return skipped


def initialize(deps: RunbookDeps, payload: dict[str, Any], context: TaskContext) -> dict[str, Any]:
    """The plan: ``{execution, environment, operation, version(s), waves: [[item...]...], ...}``,
    or, while another holds the lock and ``lock_wait_seconds`` has not run out, ``{"queued":
    true, ...}``: the runbook waits ``poll_seconds`` and calls again (handlers never sleep).

    Each wave item is what the service's rollout needs: ``service``, ``version``, ``release``
    (its pinned number), ``rollout_id``, ``environment``, ``execution``.

    Every decision is made once the lock is held (what to skip, maintenance, blocks): a deployment
    that waited behind another sees the fleet that one left, and a window or block declared
    while it waited.
    """
    environment = str(payload["environment"])
    fleet = deps.fleet(environment)
    chosen = target_versions(fleet, payload)
    name = execution_name(context)
    operation = str(payload.get("operation") or "deploy")
    who = requester(deps, payload, context)
    poll = poll_seconds(fleet, environment, payload)
    what = ", ".join(sorted(set(chosen.values())))
    try:
        acquire_lock(
            deps.store, environment, owner=name, reason=f"{operation} {what} by {who}", clock=deps.clock
        )
    except ExecutionStopped:
        raise
    except Refused:
        queued = _queued(deps, payload, name, environment, poll)
        if queued is None:
            raise
        return queued
    try:
        skipped = unchanged(deps, fleet, environment, chosen)
        chosen = {s: v for s, v in chosen.items() if s not in skipped}
        check_change(
            deps.store,
            environment,
            list(chosen),
            action=f"deployment to {environment!r}",
            holder=name,
            clock=deps.clock,
        )
    except Refused:
        release_lock(deps.store, environment, owner=name)
        raise
    pinned = pin_releases(
        deps.store,
        fleet,
        environment=environment,
        versions=chosen,
        execution_id=name,
        created_by=who,
        secret_versions=current_secret_versions(deps.store, fleet, environment),
        clock=deps.clock,
    )
    releases = {r.service: r for r in pinned}
    ordered = deployment_waves(fleet, environment, chosen)
    settings = fleet.environments[environment]
    return {
        "queued": False,
        "execution": name,
        "environment": environment,
        "operation": operation,
        "requested_by": who,
        "promote_from": payload.get("promote_from"),
        "versions": chosen,
        "skipped": skipped,
        "started_at": deps.clock.now().isoformat(),
        "poll_seconds": poll,
        "approval_required": settings.approval is Approval.REQUIRED,
        "approval_timeout_seconds": int(payload.get("approval_timeout_seconds") or DEFAULT_APPROVAL_SECONDS),
        "waves": [
            [
                {
                    "service": service,
                    "version": chosen[service],
                    "release": releases[service].number,
                    "rollout_id": rollout_id(name, service, releases[service].number),
                    "environment": environment,
                    "execution": name,
                }
                for service in wave
            ]
            for wave in ordered
        ],
    }


def _queued(
    deps: RunbookDeps, payload: dict[str, Any], name: str, environment: str, poll: int
) -> dict[str, Any] | None:
    """The queued answer while ``--lock-wait`` has time left (counted from the first look, kept
    in the previous answer the runbook passes back as ``plan``); None when it has none."""
    wait = payload.get("lock_wait_seconds")
    if not wait:
        return None
    now = deps.clock.now()
    before = payload.get("plan")
    if isinstance(before, dict) and before.get("queued") and isinstance(before.get("lock_wait_until"), str):
        until = datetime.fromisoformat(before["lock_wait_until"])
    else:
        until = now + timedelta(seconds=float(wait))
    if now >= until:
        raise Refused(f"waited {span(timedelta(seconds=float(wait)))}; " + _held(deps, environment, now))
    holder = deps.store.locks.get(environment)
    return {
        "queued": True,
        "execution": name,
        "environment": environment,
        "lock_wait_until": until.isoformat(),
        "holder": None if holder is None else holder.owner,
        "poll_seconds": poll,
    }


def _held(deps: RunbookDeps, environment: str, now: datetime) -> str:
    lock = deps.store.locks.get(environment)
    if lock is None:  # released since the look that found it held: the next look takes it
        return f"the lock of {environment!r} was busy until the end of the wait"
    return refusal(lock, now)
