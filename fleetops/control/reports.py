"""A delivery report of one environment: reads the built-in runbooks' executions, their releases
and histories from the store and the load balancer's access log into ``ops.reports``' inputs,
and builds the report (on the server's event loop, per request).

Executions are read from the window's start on (later ones too: the end of a failure's restore
may fall after the window). A deployment that pinned no release was refused before it changed
anything and is not counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from fleetops.control.health_report import execution_environment
from fleetops.control.log_queries import LogQueries
from fleetops.engine.history import HistoryEvent
from fleetops.errors import BadInput
from fleetops.ops.reports import (
    DeploymentSeen,
    IncidentSeen,
    ReleaseSeen,
    Report,
    RollbackSeen,
    ServiceTraffic,
    build_report,
)
from fleetops.runbooks.ports import FleetControl
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.store.executions import ExecutionRecord

PAGE = 500
TRAFFIC_QUERY = (
    'filter @logStream = "access" | stats count(*) as requests, sum(status >= 500) as errors by service'
)


def _executions(
    store: Store, machine_arn: str, environment: str, since: datetime
) -> Iterator[ExecutionRecord]:
    """The machine's executions of ``environment`` started at or after ``since``, newest first."""
    offset = 0
    while True:
        page = store.executions.list(machine_arn, limit=PAGE, offset=offset)
        for record in page:
            if record.start_date < since:
                return
            if execution_environment(record.name) == environment:
                yield record
        if len(page) < PAGE:
            return
        offset += PAGE


def _first_failure(events: list[HistoryEvent]) -> tuple[str | None, datetime | None]:
    """The resource of the first task that failed (``deploy-service``) and when."""
    scheduled: dict[str, str] = {}
    for event in events:
        if event.type == "TaskScheduled":
            scheduled[event.scope] = str(event.details.get("resource", ""))
        elif event.type in ("TaskFailed", "TaskTimedOut"):
            resource = scheduled.get(event.scope, "")
            return resource.removeprefix("fleetops:").removesuffix(
                ".waitForTaskToken"
            ) or None, event.timestamp
    return None, None


def _failure(record: ExecutionRecord) -> tuple[str | None, str | None]:
    """(service, message) of a failed deployment's output (``deploy-failed``'s ``{error, cause}``;
    the service from the rollout failure's cause)."""
    message = record.cause
    service = None
    try:
        data = json.loads(record.cause or "")
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        message = data["message"]
        service = data.get("service") if isinstance(data.get("service"), str) else None
    return service, message


def deployment_seen(store: Store, record: ExecutionRecord, environment: str) -> DeploymentSeen | None:
    """What a report needs of a deploy execution (None when it pinned no release)."""
    releases = store.releases.list(environment=environment, execution_id=record.name, limit=1000)
    if not releases:
        return None
    seen = tuple(
        ReleaseSeen(r.service, r.number, str(r.status), r.created_at, r.verified_at) for r in releases
    )
    if record.status in ("RUNNING", "SUCCEEDED"):
        return DeploymentSeen(record.name, record.status, record.start_date, record.stop_date, seen)
    step, failed_at = _first_failure(store.executions.events(record.arn))
    service, message = _failure(record)
    if service is None:
        failed = [r.service for r in releases if str(r.status) == "failed"]
        service = failed[0] if len(failed) == 1 else None
    return DeploymentSeen(
        record.name,
        record.status,
        record.start_date,
        record.stop_date,
        seen,
        error=record.error,
        cause=message,
        failed_step=step,
        failed_service=service,
        failed_at=failed_at,
    )


def traffic(
    runtime: object, fleet: Fleet, environment: str, start: datetime, end: datetime
) -> list[ServiceTraffic]:
    """Each service's requests and 5XX answers from the access log (none where it cannot be read:
    the aws provider's access logs are in CloudWatch)."""
    counts: dict[str, tuple[int, int]] = {}
    if isinstance(runtime, LogQueries):
        try:
            found = runtime.query_logs(TRAFFIC_QUERY, services=[], platform=True, start=start, end=end)
        except BadInput:
            found = None
        for row in found.rows if found is not None else []:
            counts[row.get("service", "")] = (
                int(float(row.get("requests") or "0")),
                int(float(row.get("errors") or "0")),
            )
    rows = []
    for name, service in sorted(fleet.services.items()):
        slo = service.in_environment(environment).slo
        requests, errors = counts.get(name, (0, 0))
        rows.append(ServiceTraffic(name, requests, errors, None if slo is None else slo.availability))
    return rows


def delivery_report(
    runtime: FleetControl,
    store: Store,
    *,
    deploy_machine: str,
    rollback_machine: str,
    start: datetime,
    end: datetime,
) -> Report:
    """The report of ``runtime``'s environment over ``start``..``end``."""
    environment = runtime.environment
    deployments = [
        seen
        for record in _executions(store, deploy_machine, environment, start)
        if (seen := deployment_seen(store, record, environment)) is not None
    ]
    rollbacks = [
        RollbackSeen(r.name, r.status, r.start_date, r.stop_date, r.started_by or "unknown")
        for r in _executions(store, rollback_machine, environment, start)
    ]
    return build_report(
        environment,
        start=start,
        end=end,
        deployments=deployments,
        rollbacks=rollbacks,
        traffic=traffic(runtime, runtime.fleet, environment, start, end),
        incidents=[
            IncidentSeen(i.severity, i.opened_at, i.resolved_at)
            for i in store.incidents.list(
                resolved=True, environment=environment, opened_since=start, limit=100_000
            )
        ],
    )
