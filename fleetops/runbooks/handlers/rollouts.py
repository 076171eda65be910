"""Starting and following rollouts: ``deploy-service``, ``deploy-check-health``, ``rollback-service``.

Each call looks at the world first: a rollout is started by its ``rollout_id`` (the runtime
returns the existing one for a known id), so a handler retried after a crash follows the rollout
it had started instead of starting a second. Waiting happens in the definitions (a Wait state
between two calls), never in a handler, so a restarted control plane resumes a deployment at
its next look.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import Refused
from fleetops.rollout import RefreshPreferences
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers.common import ROLLBACK_FAILED, require_lock, rollout_failed
from fleetops.runbooks.ports import FleetControl, RolloutRequest, RolloutView
from fleetops.runbooks.smoke import smoke_check
from fleetops.spec.rollout_settings import refresh_preferences
from fleetops.tls import default_tls

SUCCESSFUL = "Successful"
ROLLBACK_IN_PROGRESS = "RollbackInProgress"
ROLLED_BACK = "RollbackSuccessful"
IN_PLACE = "in place (RollbackInstanceRefresh)"


def progress(view: RolloutView, *, done: bool) -> dict[str, Any]:
    """What a look at a rollout returns: ``done`` and the rollout as JSON."""
    return {"done": done, "rollout": view.to_json()}


def deploy_service(deps: RunbookDeps, item: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Start the service's rollout to its pinned release (or find the one already started);
    ``fleetops.LockLost`` when the deployment no longer holds the environment's lock."""
    require_lock(deps, item["environment"], item["execution"])
    runtime = deps.runtime_for(item["environment"])
    view = runtime.start_rollout(
        RolloutRequest(
            rollout_id=item["rollout_id"],
            environment=item["environment"],
            service=item["service"],
            version=item["version"],
            release_number=int(item["release"]),
        )
    )
    if view.status == SUCCESSFUL:  # a retried call finding its rollout already done
        return succeeded(deps, item, view)
    return progress(view, done=False)


def check_health(deps: RunbookDeps, item: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Look at the rollout: done when Successful; ``fleetops.RolloutFailed`` (naming the service,
    see :func:`~fleetops.runbooks.handlers.common.rollout_failed`) when it ended otherwise.

    The rollout itself holds the gates: health checks of new instances (through the bake time)
    and the alarms of the service's deploy settings. Once it is Successful, the service's
    ``deploy.smoke`` request (if any) is the last gate. Each look also renews the environment
    lock, so a deployment keeps it exactly as long as it is being followed.
    """
    require_lock(deps, item["environment"], item["execution"])
    view = deps.runtime_for(item["environment"]).describe_rollout(item["rollout_id"])
    if view.status == SUCCESSFUL:
        return succeeded(deps, item, view)
    if view.terminal:
        raise rollout_failed(item["service"], failure_text(view))
    return progress(view, done=False)


def succeeded(deps: RunbookDeps, item: dict[str, Any], view: RolloutView) -> dict[str, Any]:
    """Done after the service's smoke gate passes (``smoke``: its result, or None without one);
    ``fleetops.RolloutFailed`` when it fails, so the deployment rolls back as for a failed rollout."""
    spec = deps.fleet(item["environment"]).service(item["service"], item["environment"]).deploy.smoke
    if spec is None:
        return {**progress(view, done=True), "smoke": None}
    endpoint = deps.runtime_for(item["environment"]).endpoint(item["service"])
    if deps.http is not None:
        result = smoke_check(deps.http, endpoint, item["service"], spec)
    else:
        with httpx.Client(verify=default_tls()) as client:
            result = smoke_check(client, endpoint, item["service"], spec)
    if not result.passed:
        after = f"after {view.version}, release #{view.release_number}, rolled out"
        raise rollout_failed(item["service"], f"{result.cause} ({after})")
    return {**progress(view, done=True), "smoke": result.to_json()}


def failure_text(view: RolloutView) -> str:
    """``orders v3 (release #4): Failed: <reason>`` and the failure report."""
    head = (
        f"{view.service} {view.version} (release #{view.release_number}): {view.status}: {view.status_reason}"
    )
    if not view.failure:
        return head
    # The report's first line is the reason again.
    report = view.failure.removeprefix(view.status_reason).lstrip("\n")
    return f"{head}\n{report}" if report else head


def rollback_preferences(deps: RunbookDeps, environment: str, service: str) -> RefreshPreferences:
    """The service's rollout settings, made for going back: keep instances already there, no
    checkpoints, no bake, no alarms (the alarm that failed the deployment is likely still on)."""
    base = refresh_preferences(deps.fleet(environment).service(service, environment).deploy)
    return dataclasses.replace(
        base,
        skip_matching=True,
        checkpoint_percentages=(),
        checkpoint_delay_ms=None,
        bake_time_ms=0,
        alarms=(),
        auto_rollback=False,
    )


def _stop(runtime: FleetControl, running: RolloutView, *, in_place: bool) -> RolloutView:
    """Ask the failed deployment's rollout still running to stop: undone by its provider
    (RollbackInstanceRefresh) where it can, else cancelled."""
    asked = ROLLBACK_IN_PROGRESS if in_place else "Cancelling"
    if running.status == asked:
        return running
    try:
        return (
            runtime.rollback_rollout(running.rollout_id)
            if in_place
            else runtime.cancel_rollout(running.rollout_id)
        )
    except Refused:  # it ended (or is ending) meanwhile
        return runtime.describe_rollout(running.rollout_id)


def rollback_service(deps: RunbookDeps, target: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """One look at returning a service to its target release; called until ``done``.

    ``target``: ``service``, ``environment``, ``execution``, ``version`` and ``release`` (None:
    no verified release to go back to), ``rollout_id`` of the rollback, and ``stop_rollout_id``
    (a rollout of the failed deployment that must end first: cancelled if still running).
    """
    runtime = deps.runtime_for(target["environment"])
    # A rollback that lost its lock stops there: whoever holds the environment now owns it.
    require_lock(deps, target["environment"], target["execution"])
    stop = target.get("stop_rollout_id")
    if stop:
        try:
            running = runtime.describe_rollout(stop)
        except KeyError:
            running = None
        in_place = runtime.rolls_back_in_place(target["service"])
        if running is not None and not running.terminal:
            running = _stop(runtime, running, in_place=in_place)
            if not running.terminal:
                phase = f"rolling back {IN_PLACE}" if in_place else "cancelling"
                return {"done": False, "phase": phase, "rollout": running.to_json()}
        back = runtime.current_versions().get(target["service"]) if in_place else None
        if running is not None and running.status == ROLLED_BACK and back == target.get("version"):
            # The provider put the service back on the release it ran before: that is the target.
            return {"done": True, "phase": f"rolled back {IN_PLACE} to {back}", "rollout": running.to_json()}
    if target.get("release") is None:
        return {"done": True, "phase": "nothing to go back to", "rollout": None}
    try:
        view = runtime.start_rollout(
            RolloutRequest(
                rollout_id=target["rollout_id"],
                environment=target["environment"],
                service=target["service"],
                version=target["version"],
                release_number=int(target["release"]),
                preferences=rollback_preferences(deps, target["environment"], target["service"]),
            )
        )
    except Refused as err:  # another rollout of the service is still ending: look again later
        return {"done": False, "phase": f"waiting: {err.message}", "rollout": None}
    if view.status == SUCCESSFUL:
        return {"done": True, "phase": "rolled back", "rollout": view.to_json()}
    if view.terminal:
        raise TaskFailure(ROLLBACK_FAILED, failure_text(view))
    return {"done": False, "phase": "rolling back", "rollout": view.to_json()}
