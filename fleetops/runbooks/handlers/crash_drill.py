"""The control-plane-crash drill's steps (``runbooks/drill-control-plane-crash.asl.json``): a
deployment started, the control plane SIGKILLed in the middle of a rollout, restarted by the
drill's watchdog, the deployment proven to resume and end with every instance on its release.

| resource | does |
|---|---|
| ``fleetops:drill-start-watchdog`` | the watchdog: steady client on the services, restart after the kill |
| ``fleetops:drill-start-deployment`` | the deploy runbook, as the child execution ``deploy-<drill>`` |
| ``fleetops:drill-check-rolling`` | done once a rollout of it is in its middle |
| ``fleetops:drill-crash`` | SIGKILL of this control plane (run again after the restart: the kill's record) |
| ``fleetops:drill-check-deployment`` | one look: done once the deployment succeeded |

The plan comes from ``drill-initialize`` and the report from ``drill-measure`` /
``drill-failed`` (``handlers.drills``), which call :func:`report` for this scenario.

RTO here is the time from the kill to the deployment's first step under the restarted control
plane (it went on); the report also gives when the control plane was back and when the
deployment ended, and the steady client's failures while no control plane ran.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import BadInput
from fleetops.ops.drills.report import ClientCounts, Measured, build_report
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.ports import CrashDrillControl
from fleetops.spec.durations import format_duration
from fleetops.spec.fleet import Fleet
from fleetops.spec.resources import Drills

SCENARIO = "control-plane-crash"
NOT_INTERRUPTED = "fleetops.DeploymentNotInterrupted"
"""The deployment ended before the drill could kill the control plane in its middle."""
DEPLOYMENT_FAILED = "fleetops.DeploymentFailed"
NOT_ONE_RELEASE = "fleetops.NotOneRelease"
RECOVERY_TIMEOUT = timedelta(minutes=10)
"""How long past its RTO target the drill waits for the deployment to end before it fails."""
_ROLLING_LOOK_S = 2.0
"""How long one look waits for a rollout's middle (every 50 ms): a rollout can be in its
middle for less than the engine's shortest Wait (1 s)."""


def control(deps: RunbookDeps, environment: str) -> CrashDrillControl:
    """The drill's port over ``environment`` (``BadInput`` where this world has none)."""
    if deps.crash_drills is None:
        raise BadInput("this control plane runs no control-plane-crash drills")
    return deps.crash_drills(environment)


def _at(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def crash_plan(
    deps: RunbookDeps, fleet: Fleet, environment: str, version: str | None, services: list[str] | None
) -> dict[str, Any]:
    """What the drill deploys and kills (``BadInput`` before anything starts: no version, an
    unknown service, nothing to deploy, a control plane nothing could restart)."""
    port = control(deps, environment)
    why = port.restartable()
    if why is not None:
        raise BadInput(f"control-plane-crash cannot run here: {why}")
    if not version:
        raise BadInput(
            "control-plane-crash needs the version its deployment rolls out (--version V, one the "
            "services do not run yet): the control plane is killed in the middle of that rollout"
        )
    running = port.current_versions()
    for name in services or ():
        if name not in running:
            raise BadInput(f"environment {environment!r} runs no service {name!r}")
    chosen = sorted(services or running)
    changing = [s for s in chosen if running[s] != version]
    if not changing:
        raise BadInput(
            f"{', '.join(chosen)} already run {version}: a deployment of it would change nothing "
            "(name another version)"
        )
    return {
        "version": version,
        "services": changing,
        "steps": [
            f"watchdog started: steady client on {', '.join(changing)}, `fleetops up` once the control "
            "plane is dead",
            f"deploy {version} to {', '.join(changing)} in {environment}",
            "SIGKILL the control plane in the middle of a rollout (outage start)",
            "the watchdog restarts it; RTO: until the deployment goes on under the new control plane",
            f"the deployment must succeed with every instance of {', '.join(changing)} on {version}",
        ],
    }


def start_watchdog(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The watchdog (steady client on the plan's services, restart after the kill); it stops by
    itself once the drill could no longer be waiting for it."""
    port = control(deps, plan["environment"])
    urls = port.client_urls(list(plan["services"]))
    limit = Drills.model_validate(plan["objectives"]).rto + 2 * RECOVERY_TIMEOUT
    pid = port.start_watchdog(plan["execution"], urls, limit.total_seconds())
    return {"pid": pid, "urls": urls, "at": deps.clock.now().isoformat()}


def start_deployment(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The deploy runbook, the plan's version to its services, as ``deploy-<drill>``."""
    control(deps, plan["environment"]).start_deployment(
        plan["deployment_execution"], plan["version"], list(plan["services"]), plan["requested_by"]
    )
    return {"execution": plan["deployment_execution"]}


def check_rolling(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """One look (up to 2 s): ``done`` once a service's rollout is in its middle (an instance of
    the new version runs, the rollout has not ended); ``fleetops.DeploymentNotInterrupted``
    when the deployment ended before."""
    port = control(deps, plan["environment"])
    deadline = time.monotonic() + _ROLLING_LOOK_S
    while True:
        now = port.deployment(plan["deployment_execution"], None)
        if now.rolling:
            return {"done": True, "rolling": now.rolling}
        if now.status != "RUNNING":
            raise TaskFailure(
                NOT_INTERRUPTED,
                f"deployment {now.name} ended {now.status} before the drill could kill the control plane "
                "in the middle of a rollout: give its services a longer rollout (more instances, "
                "deploy.bake_time)",
            )
        if time.monotonic() > deadline:
            return {"done": False}
        time.sleep(0.05)


def crash(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """SIGKILL this control plane (this call never returns); run again by the restarted one, the
    kill's record and when the new control plane started."""
    port = control(deps, plan["environment"])
    killed = port.crash(plan["execution"])
    return {"at": killed.at.isoformat(), "killed_pid": killed.pid, "back_at": port.started_at().isoformat()}


def check_deployment(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """One look at the deployment: ``done`` once it succeeded, with when it went on under the
    restarted control plane; ``fleetops.DeploymentFailed`` when it ended otherwise,
    ``fleetops.NotRecovered`` past the RTO target plus :data:`RECOVERY_TIMEOUT`."""
    plan = payload["plan"]
    port = control(deps, plan["environment"])
    now = port.deployment(plan["deployment_execution"], _at(payload.get("back_at")))
    if now.status == "RUNNING":
        outage = _at(payload.get("outage_at"))
        limit = Drills.model_validate(plan["objectives"]).rto + RECOVERY_TIMEOUT
        if outage is not None and deps.clock.now() - outage > limit:
            raise TaskFailure(
                "fleetops.NotRecovered",
                f"deployment {now.name} still running {format_duration(limit)} after the kill",
            )
        return {"done": False}
    if now.status != "SUCCEEDED":
        raise TaskFailure(
            DEPLOYMENT_FAILED,
            f"deployment {now.name} ended {now.status} after the restart: "
            f"{now.error or ''} {now.cause or ''}".strip(),
        )
    versions = {s: port.live_versions(s) for s in plan["services"]}
    desired = {s: port.desired_count(s) for s in plan["services"]}
    wrong = {s: v for s, v in versions.items() if set(v) != {plan["version"]} or len(v) != desired[s]}
    if wrong:
        found = "; ".join(
            f"{s}: {', '.join(v) or 'no instance'} (desired {desired[s]})" for s, v in sorted(wrong.items())
        )
        raise TaskFailure(
            NOT_ONE_RELEASE,
            f"deployment {now.name} succeeded, but not with its desired count of instances on "
            f"{plan['version']}: {found}",
        )
    return {
        "done": True,
        "healthy_at": None if now.resumed_at is None else now.resumed_at.isoformat(),
        "resumed_at": None if now.resumed_at is None else now.resumed_at.isoformat(),
        "ended_at": None if now.ended_at is None else now.ended_at.isoformat(),
        "status": now.status,
        "versions": versions,
    }


def _counts(client: Any) -> ClientCounts | None:
    if not isinstance(client, dict):
        return None
    return ClientCounts(
        int(client["sent"]),
        int(client["failed"]),
        _at(client.get("first_failure")),
        _at(client.get("last_failure")),
    )


def report(deps: RunbookDeps, payload: dict[str, Any], failure: str | None) -> dict[str, Any]:
    """The drill's report: RTO (kill to the deployment going on), the control plane back, the
    deployment's end and versions, the watchdog's steady client; its watchdog stopped."""
    plan = payload["plan"]
    watch = control(deps, plan["environment"]).stop_watchdog(plan["execution"]) or {}
    outage = payload.get("outage") or {}
    recovered = payload.get("recovered") or {}
    measured = Measured(outage_at=_at(outage.get("at")), healthy_at=_at(recovered.get("resumed_at")))
    counts = _counts(watch.get("client"))
    figures = build_report(
        measured,
        Drills.model_validate(plan["objectives"]),
        measures_rpo=False,
        client=counts,
        failure=failure,
    )
    back = _at(outage.get("back_at"))
    killed = _at(outage.get("at"))
    return {
        "drill": plan["execution"],
        "scenario": plan["scenario"],
        "environment": plan["environment"],
        "datastore": None,
        "service": None,
        "services": plan["services"],
        "version": plan["version"],
        "requested_by": plan.get("requested_by"),
        "started_at": plan.get("started_at"),
        "ended_at": deps.clock.now().isoformat(),
        "targets": plan["objectives"],
        "killed_pid": outage.get("killed_pid"),
        "control_plane_back_at": outage.get("back_at"),
        "control_plane_down_seconds": (
            None if back is None or killed is None else round((back - killed).total_seconds(), 3)
        ),
        "deployment": {
            "execution": plan["deployment_execution"],
            "interrupted_rollouts": (payload.get("rolling") or {}).get("rolling"),
            "resumed_at": recovered.get("resumed_at"),
            "ended_at": recovered.get("ended_at"),
            "status": recovered.get("status"),
        },
        "versions": recovered.get("versions"),
        "restart": {
            key: watch.get(key)
            for key in ("dead_at", "restart_started_at", "restarted_at", "up_exit_code", "up_error")
        },
        **figures,
        "client_lost": counts is None,
    }
