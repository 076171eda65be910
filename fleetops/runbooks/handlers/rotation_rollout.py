"""After finishSecret: the gated redeploy, the proof of pickup, the revocation, and the ends.

- ``fleetops:rotate-redeploy-plan``: a new release of every user of the secret, at the version
  it runs, pinning the secret's new version; in dependency waves;
- ``fleetops:rotate-redeploy-service``: start that release's rollout, every instance replaced
  (followed by ``deploy-check-health``: health, alarm and smoke gates);
- ``fleetops:rotate-check-pickup``: every running instance reports the new version on its
  health endpoint, or look again after a Wait;
- ``fleetops:rotate-revoke``: the previous value refused by the datastore, ``AWSPREVIOUS`` off;
- ``fleetops:rotate-finalize`` / ``rotate-failed``: releases verified and the lock released /
  what the failed step left undone.

Zero failed requests comes from the order: the previous value stays valid (another user's
password for PostgreSQL, a second password of the user for Redis) until every instance that
used it is gone, which the instances themselves report; only then is it revoked. A failure
before that leaves the previous value working: see :func:`failed`.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

from fleetops.engine import TaskContext
from fleetops.errors import FleetopsError
from fleetops.ops.locks import release_lock
from fleetops.ops.releases import current_secret_versions, pin_releases, roll_back_pinned, verify_releases
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers.common import holds_lock, require_lock, rollout_id
from fleetops.runbooks.handlers.rollouts import SUCCESSFUL, progress, succeeded
from fleetops.runbooks.handlers.rotation import ROTATION_FAILED, step, step_failed, vault_of
from fleetops.runbooks.ports import RolloutRequest
from fleetops.spec.plan import deployment_waves
from fleetops.spec.rollout_settings import refresh_preferences
from fleetops.store.releases import ReleaseStatus
from fleetops.store.secrets import AWSCURRENT, AWSPENDING, AWSPREVIOUS


def redeploy_plan(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """``{execution, environment, waves}``: one release per user of the secret, at the version it
    runs now, pinning the secret versions current now (the new one), in dependency waves."""
    with step("redeploy"):
        environment = plan["environment"]
        require_lock(deps, environment, plan["execution"])
        fleet = deps.fleet(environment)
        running = deps.runtime_for(environment).current_versions()
        versions = {service: running[service] for service in plan["services"] if service in running}
        pinned = pin_releases(
            deps.store, fleet, environment=environment, versions=versions, execution_id=plan["execution"],
            created_by=plan["requested_by"], clock=deps.clock,
            secret_versions=current_secret_versions(deps.store, fleet, environment),
        )  # fmt: skip
        releases = {release.service: release for release in pinned}
        waves = [
            [
                {
                    "service": service,
                    "version": versions[service],
                    "release": releases[service].number,
                    "rollout_id": rollout_id(plan["execution"], service, releases[service].number),
                    "environment": environment,
                    "execution": plan["execution"],
                }
                for service in wave
            ]
            for wave in deployment_waves(fleet, environment, versions)
        ]
        return {"execution": plan["execution"], "environment": environment, "waves": waves}


def redeploy_service(deps: RunbookDeps, item: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Start the service's rollout to its new release: every instance is replaced (the version
    is the same, the secret is not), behind the service's health and alarm gates."""
    require_lock(deps, item["environment"], item["execution"])
    deploy = deps.fleet(item["environment"]).service(item["service"], item["environment"]).deploy
    view = deps.runtime_for(item["environment"]).start_rollout(
        RolloutRequest(
            rollout_id=item["rollout_id"], environment=item["environment"], service=item["service"],
            version=item["version"], release_number=int(item["release"]),
            preferences=dataclasses.replace(refresh_preferences(deploy), skip_matching=False),
        )
    )  # fmt: skip
    if view.status == SUCCESSFUL:
        return succeeded(deps, item, view)
    return progress(view, done=False)


def check_pickup(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Done when every running instance of every user reports the new version; else the
    instances still waited for. ``fleetops.RotationFailed`` (step ``pickup``) once
    ``pickup_seconds`` passed since the first look: nothing is revoked then."""
    plan = payload["plan"]
    with step("pickup"):
        require_lock(deps, plan["environment"], plan["execution"])
        runtime = deps.runtime_for(plan["environment"])
        waiting, seen = [], 0
        for service in plan["services"]:
            for instance, loaded in sorted(runtime.loaded_secret_versions(service).items()):
                seen += 1
                reported = None if loaded is None else loaded.get(plan["secret"])
                if reported != plan["version"]:
                    waiting.append({"service": service, "instance": instance, "reports": reported})
        now = deps.clock.now()
        previous = payload.get("previous") or {}
        until = (
            datetime.fromisoformat(previous["until"])
            if isinstance(previous.get("until"), str)
            else now + timedelta(seconds=int(plan["pickup_seconds"]))
        )
        if not waiting:
            return {"done": True, "instances": seen, "until": until.isoformat()}
        if now >= until:
            first = waiting[0]
            raise step_failed(
                "pickup",
                f"{len(waiting)} of {seen} instance(s) do not report version {plan['version']} of "
                f"{plan['secret']} after {plan['pickup_seconds']}s: {first['service']} {first['instance']} "
                f"reports {first['reports'] or 'no secret versions on its health endpoint'}",
            )
        return {"done": False, "waiting": waiting, "until": until.isoformat()}


def revoke(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The previous value refused from now on (by the datastore it guards) and ``AWSPREVIOUS``
    taken off it: no instance is ever given it again. Pickup was proven just before."""
    with step("revokePrevious"):
        environment, secret, by = plan["environment"], plan["secret"], plan["requested_by"]
        require_lock(deps, environment, plan["execution"])
        vault = vault_of(deps)
        old = vault.reveal(environment, secret, version_id=plan["previous_version"])
        if plan["datastore"] is not None:
            deps.runtime_for(environment).revoke_login(plan["datastore"], old.version.username, old.value)
        if deps.store.secrets.stage_version(environment, secret, AWSPREVIOUS) == plan["previous_version"]:
            vault.remove_stage(environment, secret, AWSPREVIOUS, by=by)
            vault.note(environment, secret, "version.revoked", plan["previous_version"], by=by)
        return {"revoked": plan["previous_version"], "datastore": plan["datastore"]}


def finalize(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Verify the redeploy's releases and give the lock back."""
    environment = plan["environment"]
    require_lock(deps, environment, plan["execution"])
    pinned = deps.store.releases.list(environment=environment, execution_id=plan["execution"])
    verified = verify_releases(
        deps.store, [r for r in pinned if r.status is ReleaseStatus.PINNED], clock=deps.clock
    )
    release_lock(deps.store, environment, owner=plan["execution"])
    return {"secret": plan["secret"], "version": plan["version"], "verified": [r.name for r in verified]}


def failed(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, str]:
    """Undo what the failed step left, so the previous value works and the services use it;
    ``{"error", "cause"}``, the cause naming the step it stopped at and what was left.

    - before ``AWSCURRENT`` moved (createSecret, setSecret, testSecret, finishSecret): the
      pending login is revoked and ``AWSPENDING`` taken off; nothing else changed;
    - at the redeploy: its services were rolled back to their last verified releases (which
      pin the previous version, still valid) and ``AWSCURRENT`` moves back to it;
    - at pickup or the revocation: the new value is current and the previous one still valid.
    """
    plan, at = payload["plan"], str(payload.get("step") or "rotation")
    environment, secret, by = plan["environment"], plan["secret"], plan["requested_by"]
    message = _message(payload.get("failure") or {})
    vault = vault_of(deps)
    left: list[str] = []
    mine = holds_lock(deps, environment, plan["execution"])
    current = deps.store.secrets.stage_version(environment, secret, AWSCURRENT)
    if not mine:
        left.append("the rotation lost the environment's lock: nothing was undone")
    elif current != plan["version"]:
        left += _drop_pending(deps, plan)
        left.append(f"AWSCURRENT is still version {current}: the services were not touched")
    elif at == "redeploy":
        roll_back_pinned(deps.store, environment, plan["execution"], clock=deps.clock)
        vault.move_stage(environment, secret, AWSCURRENT, plan["previous_version"], by=by)
        left.append(
            "the services were rolled back to their last verified releases and AWSCURRENT moved back "
            f"to version {plan['previous_version']}"
        )
    else:
        left.append(
            f"AWSCURRENT is the new version {plan['version']}; the previous one ({plan['previous_version']}) "
            "was not revoked and still works"
        )
    if mine:
        release_lock(deps.store, environment, owner=plan["execution"])
    return {
        "error": ROTATION_FAILED,
        "cause": f"rotation of {secret!r} in {environment!r} stopped at {at}: {message}. {'; '.join(left)}",
    }


def _drop_pending(deps: RunbookDeps, plan: dict[str, Any]) -> list[str]:
    vault = vault_of(deps)
    environment, secret = plan["environment"], plan["secret"]
    if plan["version"] not in {v.version_id for v in vault.versions(environment, secret)}:
        return []
    notes = []
    if plan["datastore"] is not None:
        pending = vault.reveal(environment, secret, version_id=plan["version"])
        try:
            deps.runtime_for(environment).revoke_login(
                plan["datastore"], pending.version.username, pending.value
            )
        except FleetopsError as err:
            notes.append(f"the pending login could not be revoked ({err.message})")
    if deps.store.secrets.stage_version(environment, secret, AWSPENDING) == plan["version"]:
        vault.remove_stage(environment, secret, AWSPENDING, by=plan["requested_by"])
    return notes


def _message(failure: dict[str, Any]) -> str:
    cause = failure.get("Cause")
    try:
        data = json.loads(cause or "")
    except ValueError:
        return str(cause or failure.get("Error") or "failed")
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        service = data.get("service")
        return f"{service}: {data['message']}" if isinstance(service, str) else data["message"]
    return str(cause)
