"""The drill runbooks' steps (``runbooks/drill-*.asl.json``): cause an outage on purpose, recover,
and measure RTO and RPO against the fleet file's ``drills:`` targets.

| resource | does |
|---|---|
| ``fleetops:drill-initialize`` | validate; the plan: what is broken, what measures, the targets |
| ``fleetops:drill-start-client`` | the steady client on the affected services |
| ``fleetops:drill-destroy`` | datastore-loss: heartbeat paused, every table (key) of the datastore gone |
| ``fleetops:drill-start-restore`` | the restore runbook, latest verified backup, as a child execution |
| ``fleetops:drill-check-restore`` | one look at it: done when it succeeded (when healthy again) |
| ``fleetops:drill-kill`` | instance-failure: SIGKILL instances of a service |
| ``fleetops:drill-check-healthy`` | one look: done once the killed instances are replaced and healthy |
| ``fleetops:drill-measure`` | stamp read, heartbeat resumed, client stopped: the report |
| ``fleetops:drill-failed`` | the same after a failure: the report says why |

The report is the output of ``drill-measure`` (or ``drill-failed``) in the execution's history,
which ``fleetops drill report`` reads back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import BadInput
from fleetops.ops.drills.heartbeat import STAMPED_KINDS
from fleetops.ops.drills.outage import LOSABLE_KINDS
from fleetops.ops.drills.report import Measured, build_report
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers import crash_drill, failover_drill, scratch_drill
from fleetops.runbooks.handlers.common import execution_name, requester
from fleetops.runbooks.handlers.finish import failure_of
from fleetops.runbooks.ports import DrillControl
from fleetops.spec.durations import format_duration
from fleetops.spec.fleet import Fleet
from fleetops.spec.resources import Drills

SCENARIOS = ("datastore-loss", "instance-failure", crash_drill.SCENARIO, failover_drill.SCENARIO)
"""The drills built so far (each the runbook ``drill-<scenario>``)."""
RESTORE_FAILED = "fleetops.RestoreFailed"
"""The restore the drill started did not bring the datastore back."""
NOT_RECOVERED = "fleetops.NotRecovered"
"""The service was not healthy again in time."""
TARGET_MISSED = "fleetops.DrillTargetMissed"
DEFAULT_BASELINE_SECONDS = 2
"""How long the steady client runs before the outage (what "normal" looked like)."""
RECOVERY_TIMEOUT = timedelta(minutes=10)
"""How long past its RTO target a drill waits for recovery before it fails."""


def _control(deps: RunbookDeps, environment: str) -> DrillControl:
    if deps.drills is None:
        raise BadInput("this control plane runs no drills")
    return deps.drills(environment)


def _targets(fleet: Fleet) -> Drills:
    if fleet.drills is None:
        raise BadInput(
            "the fleet file sets no drill targets: add a drills block, e.g. `drills: {rto: 15m, rpo: 1h}` "
            "(its heartbeat must then run until a backup holds a stamp, for RPO)"
        )
    return fleet.drills


def _target(plan: dict[str, Any]) -> str:
    """Where the drill acts: the environment, or its scratch copy."""
    return str(plan.get("scratch") or plan["environment"])


def _at(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def drill_plan(
    deps: RunbookDeps,
    environment: str,
    scenario: str,
    *,
    datastore: str | None = None,
    service: str | None = None,
    count: int = 1,
    version: str | None = None,
    services: list[str] | None = None,
    standby: str | None = None,
    scratch: bool = False,
) -> dict[str, Any]:
    """What drill ``scenario`` will do in ``environment`` (refused with ``BadInput`` before
    anything starts: no targets, unknown datastore or service, no verified backup; for
    control-plane-crash, ``version`` deployed to ``services``, default all that change; for
    environment-failover, ``standby``: the one brought up, default the only one; for
    datastore-loss, ``scratch``: in a scratch copy of the environment, not the environment)."""
    if scenario not in SCENARIOS:
        raise BadInput(f"unknown drill {scenario!r} (built: {', '.join(SCENARIOS)})")
    fleet = deps.fleet(environment)
    targets = _targets(fleet)
    plan: dict[str, Any] = {
        "environment": environment,
        "scenario": scenario,
        "operation": "drill",
        "objectives": {
            "rto": format_duration(targets.rto),
            "rpo": format_duration(targets.rpo),
            "heartbeat": format_duration(targets.heartbeat),
        },
    }
    if scenario == crash_drill.SCENARIO:
        return {**plan, **crash_drill.crash_plan(deps, fleet, environment, version, services)}
    if scenario == failover_drill.SCENARIO:
        return {**plan, **failover_drill.failover_plan(deps, fleet, environment, standby)}
    control = _control(deps, environment)
    if scenario == "datastore-loss":
        loss = {
            **plan,
            "client_path": targets.data_path,
            **_datastore_loss(fleet, control, environment, datastore),
        }
        return scratch_drill.in_scratch(deps, fleet, loss) if scratch else loss
    if service is None:
        raise BadInput("instance-failure needs the service whose instances are killed (--service NAME)")
    if service not in fleet.services or fleet.service(service, environment).run is None:
        raise BadInput(f"environment {environment!r} runs no service {service!r}")
    desired = fleet.service(service, environment).instances.desired
    if not 1 <= count <= desired:
        raise BadInput(f"--count must be from 1 to {service}'s desired count ({desired}), not {count}")
    return {
        **plan,
        "service": service,
        "count": count,
        "services": [service],
        "steps": [
            f"steady client on {service}",
            f"SIGKILL {count} of {service}'s instances (outage start)",
            f"until {service} has its desired count healthy again (RTO), the killed ones replaced",
        ],
    }


def _datastore_loss(
    fleet: Fleet, control: DrillControl, environment: str, datastore: str | None
) -> dict[str, Any]:
    present = sorted(
        name
        for name, spec in fleet.datastores.items()
        if spec.environments is None or environment in spec.environments
    )
    if datastore is None:
        used = [n for n in present if control.users(n) and control.kind(n) in LOSABLE_KINDS]
        if len(used) != 1:
            raise BadInput(
                f"name the datastore to lose (--datastore): environment {environment!r} has "
                f"{', '.join(used) or 'none'} in use on {' or '.join(LOSABLE_KINDS)}"
            )
        datastore = used[0]
    if datastore not in present:
        known = ", ".join(present) or "none"
        raise BadInput(f"environment {environment!r} has no datastore {datastore!r} (it has: {known})")
    kind = control.kind(datastore)
    if kind not in LOSABLE_KINDS:
        raise BadInput(
            f"datastore {datastore!r} is {kind}: datastore-loss drills run on {', '.join(LOSABLE_KINDS)}"
        )
    backup = control.latest_verified_backup(datastore)
    if backup is None:
        raise BadInput(
            f"{datastore!r} in {environment!r} has no verified backup to restore: "
            f"fleetops backup create {datastore} && fleetops backup verify --latest"
        )
    services = control.users(datastore)
    return {
        "datastore": datastore,
        "kind": kind,
        "backup": {"backup_id": backup.backup_id, "created_at": backup.created_at.isoformat()},
        "services": services,
        "steps": [
            f"steady client on {', '.join(services) or 'no service'}",
            f"{'flush every key' if kind == 'redis' else 'destroy every table'} of {datastore} ({kind}) "
            f"in {environment} (outage start)",
            f"restore backup {backup.backup_id} of {backup.created_at.isoformat()} "
            "through the restore runbook",
            "RTO: until its services are healthy again; RPO: outage start minus "
            + (
                "the backup's time (no heartbeat in Redis)"
                if kind not in STAMPED_KINDS
                else "the newest heartbeat stamp left"
            ),
        ],
    }


def initialize(deps: RunbookDeps, payload: dict[str, Any], context: TaskContext) -> dict[str, Any]:
    """Validate and plan (:func:`drill_plan`). Input: ``environment``, ``scenario``, optional
    ``datastore``, ``service``, ``count``, ``requested_by``, ``baseline_seconds``, ``poll_seconds``."""
    name = execution_name(context)
    plan = drill_plan(
        deps,
        str(payload.get("environment")),
        str(payload.get("scenario")),
        datastore=payload.get("datastore"),
        service=payload.get("service"),
        count=int(payload.get("count") or 1),
        version=payload.get("version"),
        services=payload.get("services"),
        standby=payload.get("standby"),
        scratch=payload.get("scratch") is True,
    )
    return {
        **plan,
        "execution": name,
        "restore_execution": f"restore-{name}",
        "deployment_execution": f"deploy-{name}",
        "requested_by": requester(deps, payload, context),
        "started_at": deps.clock.now().isoformat(),
        "baseline_seconds": int(payload.get("baseline_seconds") or DEFAULT_BASELINE_SECONDS),
        "poll_seconds": int(payload.get("poll_seconds") or 1),
    }


def start_client(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The steady client on the plan's services."""
    control = _control(deps, _target(plan))
    urls = control.client_urls(list(plan["services"]), plan.get("client_path"))
    control.start_client(plan["execution"], urls)
    return {"urls": urls, "at": deps.clock.now().isoformat()}


def destroy(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The outage: the datastore's heartbeat paused, then every table of it removed."""
    at = deps.clock.now()
    _control(deps, _target(plan)).destroy(plan["datastore"])
    return {"at": at.isoformat()}


def start_restore(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The restore runbook, from the plan's backup, as the execution ``restore-<drill>``."""
    _control(deps, _target(plan)).start_restore(
        plan["restore_execution"],
        plan["datastore"],
        plan["backup"]["backup_id"],
        plan["requested_by"],
        int(plan["poll_seconds"]),
    )
    return {"execution": plan["restore_execution"]}


def check_restore(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """One look at the restore: ``done`` when it succeeded, with when its services were healthy;
    ``fleetops.RestoreFailed`` when it ended otherwise."""
    run = _control(deps, _target(plan)).restore_run(plan["restore_execution"])
    if run.status == "RUNNING":
        return {"done": False}
    if run.status != "SUCCEEDED" or run.healthy_at is None:
        raise TaskFailure(
            RESTORE_FAILED,
            f"restore {run.name} ended {run.status}: {run.error or ''} {run.cause or ''}".strip(),
        )
    return {"done": True, "healthy_at": run.healthy_at.isoformat()}


def kill(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The outage: ``count`` instances of the service SIGKILLed."""
    at = deps.clock.now()
    killed = _control(deps, plan["environment"]).kill_instances(plan["service"], int(plan["count"]))
    if not killed:
        raise BadInput(f"{plan['service']} has no running instance to kill")
    return {"at": at.isoformat(), "killed": killed}


def check_healthy(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """One look: ``done`` (with the time) once the service has its desired count healthy again;
    ``fleetops.NotRecovered`` past the RTO target plus :data:`RECOVERY_TIMEOUT`."""
    plan = payload["plan"]
    outage = _at(payload["outage_at"])
    control = _control(deps, plan["environment"])
    waiting = control.waiting_for(plan["service"])
    lingering = sorted(set(payload.get("killed") or ()) & set(control.running_ids(plan["service"])))
    if lingering:  # not yet seen dead: the service only looks healthy
        waiting = f"killed {', '.join(lingering)} not yet replaced"
    now = deps.clock.now()
    if waiting is None:
        return {"done": True, "healthy_at": now.isoformat()}
    limit = Drills.model_validate(plan["objectives"]).rto + RECOVERY_TIMEOUT
    if outage is not None and now - outage > limit:
        raise TaskFailure(
            NOT_RECOVERED,
            f"{plan['service']} not healthy {format_duration(limit)} after the outage: {waiting}",
        )
    return {"done": False, "waiting": waiting}


def _report(deps: RunbookDeps, payload: dict[str, Any], failure: str | None) -> dict[str, Any]:
    plan = payload["plan"]
    if plan["scenario"] == crash_drill.SCENARIO:
        return crash_drill.report(deps, payload, failure)
    if plan["scenario"] == failover_drill.SCENARIO:
        return failover_drill.report(deps, payload, failure)
    newest = None
    counts = None
    # A scratch drill failing before its steady client started may have no copy running.
    if not plan.get("scratch") or "client" in payload:
        control = _control(deps, _target(plan))
        if plan["scenario"] == "datastore-loss":
            if failure is None:
                newest = control.newest_stamp(plan["datastore"])
            control.resume_heartbeat(plan["datastore"])
        counts = control.stop_client(plan["execution"])
    if plan.get("scratch"):
        scratch_drill.control(deps, plan["environment"]).discard()
    outage = payload.get("outage") or {}
    recovered = payload.get("recovered") or {}
    measured = Measured(
        outage_at=_at(outage.get("at")),
        healthy_at=_at(recovered.get("healthy_at")),
        newest_stamp=newest,
        backup_taken_at=_at((plan.get("backup") or {}).get("created_at")),
    )
    report = build_report(
        measured,
        Drills.model_validate(plan["objectives"]),
        measures_rpo=plan["scenario"] == "datastore-loss",
        client=counts,
        failure=failure,
    )
    keys = ("execution", "scenario", "environment", "datastore", "service", "requested_by", "started_at")
    return {
        "drill": plan["execution"],
        **{k: plan.get(k) for k in keys if k != "execution"},
        "backup_id": (plan.get("backup") or {}).get("backup_id"),
        "restore_execution": plan.get("restore_execution") if plan["scenario"] == "datastore-loss" else None,
        "scratch": plan.get("scratch"),
        "killed": outage.get("killed"),
        "ended_at": deps.clock.now().isoformat(),
        "targets": plan["objectives"],
        **report,
        "client_lost": counts is None,
    }


def measure(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The report of a drill that recovered (input: the execution's state, ``plan``, ``outage``,
    ``recovered``): the surviving stamp read (before the heartbeat resumes and overwrites it),
    the client stopped, RTO and RPO against the targets."""
    return _report(deps, payload, None)


def failed(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The report of a drill that did not recover (heartbeat resumed, client stopped), with
    ``error`` and ``cause`` for the Fail state."""
    cause = failure_of(payload)
    report = _report(deps, payload, f"{cause['error']}: {cause['cause']}")
    return {**report, **cause}
