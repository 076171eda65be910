"""The environment-failover drill's steps (``runbooks/drill-environment-failover.asl.json``),
seed 001's region failure: the primary environment lost at once, its standby (the environment
whose ``standby_for`` names it) brought up from the primary's newest verified releases and latest
verified backups, the entry point moved to it.

| resource | does |
|---|---|
| ``fleetops:drill-failover-start-client`` | the steady client on the entry point |
| ``fleetops:drill-stop-primary`` | the outage: the primary and every process it started stopped |
| ``fleetops:drill-start-standby`` | the standby up at the releases, its datastores restored |
| ``fleetops:drill-check-standby`` | one look: done once the standby is healthy and the entry point answers |

The entry point is what clients are given: the load-balancer ports the primary pins
(``run.port``); the standby pins the same ones (the fleet file says so), so it binds them once
the primary's load balancers are gone. RTO: outage start to the standby healthy and answering
there; RPO: outage start minus the oldest of the newest heartbeat stamps the restores left.

The plan comes from ``drill-initialize`` and the report from ``drill-measure`` /
``drill-failed`` (``handlers.drills``), which call :func:`failover_plan` and :func:`report`. A
drill that fails after stopping the primary and before its standby runs starts the primary again
(the report's ``primary``: ``restarted``), so the entry point is not left dead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import BadInput, FleetopsError
from fleetops.ops.drills.heartbeat import STAMPED_KINDS
from fleetops.ops.drills.report import Measured, build_report
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.ports import FailoverControl, StandbyRelease
from fleetops.spec.durations import format_duration
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import AwsSettings
from fleetops.spec.resources import Drills
from fleetops.spec.standby import pinned_port

SCENARIO = "environment-failover"
NOT_RECOVERED = "fleetops.NotRecovered"
RECOVERY_TIMEOUT = timedelta(minutes=10)
"""How long past its RTO target the drill waits for the standby before it fails."""


def control(deps: RunbookDeps, primary: str, standby: str) -> FailoverControl:
    """The drill's port over ``primary`` and ``standby`` (``BadInput`` where this world has none)."""
    if deps.failover_drills is None:
        raise BadInput("this control plane runs no environment-failover drills")
    return deps.failover_drills(primary, standby)


def _at(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def standby_of(fleet: Fleet, primary: str, standby: str | None) -> str:
    """The environment standing by for ``primary`` (``standby``: the one asked for)."""
    candidates = sorted(n for n, e in fleet.environments.items() if e.standby_for == primary)
    if standby is not None:
        if standby not in fleet.environments:
            known = ", ".join(sorted(fleet.environments))
            raise BadInput(f"unknown environment {standby!r} (known: {known})")
        if standby not in candidates:
            raise BadInput(
                f"environment {standby!r} does not stand by for {primary!r} (its standby_for is "
                f"{fleet.environments[standby].standby_for or 'not set'})"
            )
        return standby
    if not candidates:
        raise BadInput(
            f"no environment stands by for {primary!r}: declare one in the fleet file, e.g. "
            f"`environments: {{dr: {{provider: local, standby_for: {primary}}}}}`"
        )
    if len(candidates) > 1:
        raise BadInput(f"name the standby (--standby): {', '.join(candidates)} stand by for {primary!r}")
    return candidates[0]


def failover_plan(deps: RunbookDeps, fleet: Fleet, primary: str, standby: str | None) -> dict[str, Any]:
    """What the drill stops, brings up and restores (``BadInput`` before anything starts: no
    standby, an aws environment, a standby running already, no entry point, a service without
    a verified release, a datastore holding data without a verified backup)."""
    if isinstance(fleet.environments[primary], AwsSettings):
        raise BadInput(
            f"environment {primary!r} is on aws: environment-failover drills run between local "
            "environments only (on aws a failover means another region's Auto Scaling groups, load "
            "balancers and RDS instances, and a DNS change: none of them is managed by fleetops)"
        )
    chosen = standby_of(fleet, primary, standby)
    port = control(deps, primary, chosen)
    if port.standby_running():
        raise BadInput(
            f"standby {chosen!r} runs already: the drill brings it up from {primary!r}'s releases and "
            f"backups; stop it first (fleetops down --env {chosen})"
        )
    entry = {
        name: found
        for name, service in fleet.services.items()
        if (found := pinned_port(service, primary)) is not None
    }
    if not entry:
        raise BadInput(
            f"environment {primary!r} pins no load-balancer port (run.port): its clients have no fixed "
            "entry point to move to the standby; pin the one they use (e.g. services.gateway.run.port)"
        )
    urls = [
        f"http://127.0.0.1:{found}{fleet.service(name, primary).health.path}" for name, found in entry.items()
    ]
    releases = port.releases()
    backups: dict[str, dict[str, Any]] = {}
    empty = []
    for name, store in sorted(fleet.datastores.items()):
        if store.environments is not None and primary not in store.environments:
            continue
        backup = port.latest_verified_backup(name)
        if backup is None:
            if store.kind in STAMPED_KINDS:
                raise BadInput(
                    f"{name!r} in {primary!r} has no verified backup to bring the standby up from: "
                    f"fleetops backup create {name} --env {primary} && fleetops backup verify --latest"
                )
            empty.append(name)  # a cache: the standby's starts empty
            continue
        backups[name] = {
            "backup_id": backup.backup_id,
            "created_at": backup.created_at.isoformat(),
            "kind": store.kind,
        }
    restored = ", ".join(f"{n} from backup {b['backup_id']}" for n, b in backups.items()) or "no datastore"
    return {
        "standby": chosen,
        "entry_points": entry,
        "client_urls": urls,
        "services": sorted(entry),
        "releases": [{"service": r.service, "version": r.version, "desired": r.desired} for r in releases],
        "backups": backups,
        "empty_datastores": empty,
        "steps": [
            f"steady client on the entry point ({', '.join(urls)})",
            f"stop {primary}: its instances, load balancers and datastores (outage start)",
            f"bring {chosen} up at {primary}'s verified releases ("
            + ", ".join(f"{r.service} {r.version}" for r in releases)
            + f") on the same ports; restore {restored}"
            + (f"; {', '.join(empty)} start empty" if empty else ""),
            f"RTO: until {chosen} is healthy and answers at the entry point; "
            "RPO: outage start minus the newest heartbeat stamp the restores left",
        ],
    }


def start_client(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The steady client on the entry point."""
    urls = list(plan["client_urls"])
    control(deps, plan["environment"], plan["standby"]).start_client(plan["execution"], urls)
    return {"urls": urls, "at": deps.clock.now().isoformat()}


def stop_primary(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The outage: the primary stopped, every process it started with it."""
    at = deps.clock.now()
    control(deps, plan["environment"], plan["standby"]).stop_primary()
    return {"at": at.isoformat()}


def start_standby(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The standby up at the plan's releases, its datastores restored from the plan's backups."""
    releases = [StandbyRelease(r["service"], r["version"], int(r["desired"])) for r in plan["releases"]]
    backups = {name: str(b["backup_id"]) for name, b in plan["backups"].items()}
    control(deps, plan["environment"], plan["standby"]).start_standby(plan["execution"], releases, backups)
    return {"started_at": deps.clock.now().isoformat(), "restored": sorted(backups)}


def check_standby(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """One look: ``done`` (with the time) once the standby is healthy and the entry point answers;
    ``fleetops.NotRecovered`` past the RTO target plus :data:`RECOVERY_TIMEOUT`."""
    plan = payload["plan"]
    port = control(deps, plan["environment"], plan["standby"])
    waiting = port.waiting_for(list(plan["client_urls"]))
    now = deps.clock.now()
    if waiting is None:
        port.mark_verified(plan["execution"])
        return {"done": True, "healthy_at": now.isoformat()}
    outage = _at(payload.get("outage_at"))
    limit = Drills.model_validate(plan["objectives"]).rto + RECOVERY_TIMEOUT
    if outage is not None and now - outage > limit:
        raise TaskFailure(
            NOT_RECOVERED,
            f"standby {plan['standby']} not serving {format_duration(limit)} after the outage: {waiting}",
        )
    return {"done": False, "waiting": waiting}


def report(deps: RunbookDeps, payload: dict[str, Any], failure: str | None) -> dict[str, Any]:
    """The drill's report: RTO and RPO against the targets, the client's counts (the stamps read
    before the standby's heartbeat resumes and overwrites them)."""
    plan = payload["plan"]
    port = control(deps, plan["environment"], plan["standby"])
    restored = sorted(plan["backups"])
    stamps: dict[str, datetime | None] = {}
    if failure is None:
        stamps = {
            name: port.newest_stamp(name)
            for name in restored
            if plan["backups"][name]["kind"] in STAMPED_KINDS
        }
    port.resume_heartbeat(restored)
    counts = port.stop_client(plan["execution"])
    back = None
    if failure is not None and not port.primary_running() and not port.standby_running():
        # Nothing serves: the primary comes back rather than leave the entry point dead.
        try:
            port.start_primary()
            back = "restarted"
        except FleetopsError as err:
            back = f"not restarted: {err.message}"
    outage = payload.get("outage") or {}
    recovered = payload.get("recovered") or {}
    # The data lost is the most any datastore lost: the oldest of their newest stamps.
    found = [s for s in stamps.values() if s is not None]
    taken = [_at(b["created_at"]) for b in plan["backups"].values()]
    measured = Measured(
        outage_at=_at(outage.get("at")),
        healthy_at=_at(recovered.get("healthy_at")),
        newest_stamp=min(found) if found and len(found) == len(stamps) else None,
        backup_taken_at=min((t for t in taken if t is not None), default=None),
    )
    figures = build_report(
        measured,
        Drills.model_validate(plan["objectives"]),
        measures_rpo=bool(restored),
        client=counts,
        failure=failure,
    )
    return {
        "drill": plan["execution"],
        "scenario": plan["scenario"],
        "environment": plan["environment"],
        "standby": plan["standby"],
        "services": plan["services"],
        "requested_by": plan.get("requested_by"),
        "started_at": plan.get("started_at"),
        "entry_points": plan["entry_points"],
        "releases": plan["releases"],
        "backups": plan["backups"],
        "stamps": {name: None if s is None else s.isoformat() for name, s in stamps.items()},
        "primary_stopped": outage.get("at") is not None,
        "primary": back,
        "ended_at": deps.clock.now().isoformat(),
        "targets": plan["objectives"],
        **figures,
        "client_lost": counts is None,
    }
