"""``/fleet`` (status, scale, logs) and ``/rollouts`` (start, describe, cancel) of the server's fleet.

They act on one of ``app.state.environments``, the environments the server runs (``fleetops
server --fleet FILE --env ENV`` or ``fleetops up --env ENV``, more added by ``fleetops up --env``):
the one named by ``?environment=`` (``environment`` in a body), by default the only one running;
400 naming the running ones when several run, 423 when the one named does not run (saying how
to start it), 409 when the server runs no fleet. A rollout id names its environment by itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import Field

from fleetops.control.environments import Environments
from fleetops.control.log_queries import LogQueries
from fleetops.errors import BadInput
from fleetops.ops.gates import check_change
from fleetops.rollout import RefreshPreferences
from fleetops.runbooks.ports import FleetControl, RolloutRequest
from fleetops.server.auth import Role, require
from fleetops.server.deps import RedactorDep, StoreDep
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.spec.durations import parse_duration
from fleetops.spec.names import unknown
from fleetops.spec.resources import Version
from fleetops.store import Store

router = RouteTable(tags=["fleet"], responses=error_responses(*AUTHENTICATED, 404, 409, 423))
viewer = [Depends(require(Role.VIEWER))]
operator = [Depends(require(Role.OPERATOR))]


def pick_fleet(request: Request, environment: str | None) -> FleetControl:
    """The runtime of ``environment`` (None: the only one running); errors as the module says."""
    environments: Environments = request.app.state.environments
    if environments.fleet is None and not environments.names():
        raise ApiError(
            409, "this server runs no fleet: start it with `fleetops up` or `fleetops server --fleet FILE`"
        )
    return environments.pick(environment)


EnvironmentQuery = Annotated[
    str | None,
    Query(max_length=100, description="The environment; default: the only one the server runs."),
]


def get_fleet(request: Request, environment: EnvironmentQuery = None) -> FleetControl:
    """The runtime of ``?environment=`` (default: the only one running); see the module docstring."""
    return pick_fleet(request, environment)


FleetDep = Annotated[FleetControl, Depends(get_fleet)]


class ScaleBody(StrictModel):
    """Set a service's desired instance count (within its min..max)."""

    service: str = Field(min_length=1, max_length=100)
    desired: int = Field(ge=0, le=10_000)
    environment: str | None = Field(None, max_length=100, description="Default: the only one running.")


class AlarmsBody(StrictModel):
    """The alarms that fail the refresh when they go into ALARM."""

    Alarms: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(default_factory=list)


class PreferencesBody(StrictModel):
    """AWS instance refresh ``Preferences`` with AWS's types and limits (durations in seconds)."""

    MinHealthyPercentage: int | None = Field(None, ge=0, le=100)
    MaxHealthyPercentage: int | None = Field(None, ge=100, le=200)
    InstanceWarmup: int | None = Field(None, ge=0)
    CheckpointPercentages: list[Annotated[int, Field(ge=1, le=100)]] | None = None
    CheckpointDelay: int | None = Field(None, ge=0, le=172_800)
    BakeTime: int | None = Field(None, ge=0, le=172_800)
    SkipMatching: bool | None = None
    AutoRollback: bool | None = None
    AlarmSpecification: AlarmsBody | None = None


class RolloutBody(StrictModel):
    """Start a rollout; ``rollout_id`` makes it idempotent (default: a new id)."""

    service: str = Field(min_length=1, max_length=100)
    version: Version
    release_number: int = Field(0, ge=0)
    rollout_id: str | None = Field(None, min_length=1, max_length=300, pattern=r"^[^/\s]+$")
    environment: str | None = Field(None, max_length=100, description="Default: the only one running.")
    preferences: PreferencesBody | None = Field(
        None, description="AWS instance refresh Preferences JSON; default: the service's deploy settings."
    )


@router.get("/fleet", name="fleet.status", dependencies=viewer)
def fleet_status(
    fleet: FleetDep,
    redactor: RedactorDep,
    datastores: Annotated[
        bool, Query(description="false: no datastore health check (a connection to each); no `datastores`.")
    ] = True,
) -> dict[str, Any]:
    """Services, their instances, versions and health, and their load-balancer endpoints; the
    datastores' health unless ``datastores=false``."""
    if datastores:
        answer: dict[str, Any] = redactor.value(fleet.status().to_json())
        return answer
    services: dict[str, Any] = redactor.value(fleet.services_status().to_json())
    del services["datastores"]
    return services


@router.post("/fleet/scale", name="fleet.scale", dependencies=operator)
def fleet_scale(body: ScaleBody, request: Request, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """Set the desired count; instances are launched or drained in the background. 423 in
    maintenance, for a blocked service, or while a deployment holds the environment's lock."""
    fleet = pick_fleet(request, body.environment)
    check_request_names(request, services=[body.service])
    action = f"scale of {body.service!r} in {fleet.environment!r}"
    check_change(store, fleet.environment, [body.service], action=action, clock=clock)
    fleet.scale(body.service, body.desired)
    return {"service": body.service, "desired": body.desired, "environment": fleet.environment}


SinceQuery = Annotated[
    str | None, Query(max_length=40, description="A duration back from now (1h, 30m) or an ISO 8601 time.")
]
StartQuery = Annotated[datetime | None, Query(description="From this time (ISO 8601 with a zone).")]
EndQuery = Annotated[datetime | None, Query(description="Until this time (ISO 8601 with a zone).")]


def time_window(
    since: str | None, start: datetime | None, end: datetime | None, *, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """``since`` (a duration back from ``now``, or a time) or ``start``, and ``end``; 400 when both
    ``since`` and ``start`` are given, a time has no zone, or ``since`` is neither."""
    if since is not None and start is not None:
        raise ApiError(400, "since and start: give one of them")
    if since is not None:
        try:
            start = now - parse_duration(since)
        except ValueError as err:
            try:
                start = datetime.fromisoformat(since)
            except ValueError:
                raise ApiError(400, f"since: {err}, or an ISO 8601 time") from err
    for name, value in (("since" if since is not None else "start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise ApiError(400, f"{name}: {value.isoformat()} has no time zone (add Z or +00:00)")
    return start, end


@router.get("/fleet/logs", name="fleet.logs", dependencies=viewer)
def fleet_logs(
    request: Request,
    *,
    fleet: FleetDep,
    redactor: RedactorDep,
    clock: ClockDep,
    service: Annotated[str, Query(min_length=1, max_length=100)],
    instance: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    filter: Annotated[str | None, Query(max_length=1000, description="A CloudWatch filter pattern.")] = None,
    since: SinceQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
) -> dict[str, Any]:
    """The last ``limit`` log records of a service (or one instance), oldest first; 400 for an
    instance the service does not run that left no records."""
    check_request_names(request, services=[service])
    start, end = time_window(since, start, end, now=clock.now())
    records = fleet.logs(service, instance_id=instance, limit=limit, pattern=filter, start=start, end=end)
    if instance is not None and not records:
        # A replaced instance's records stay readable; an id nothing ever logged under is a typo.
        running = [i.id for s in fleet.services_status().services if s.name == service for i in s.instances]
        if instance not in running:
            raise BadInput(unknown("instance", instance, running, holder=f"{service} runs"))
    return {"records": redactor.value(records)}


@router.get("/fleet/logs/query", name="fleet.logs_query", dependencies=viewer)
def fleet_logs_query(
    fleet: FleetDep,
    redactor: RedactorDep,
    request: Request,
    clock: ClockDep,
    *,
    query: Annotated[str, Query(min_length=1, max_length=10_000, description="A Logs Insights query.")],
    services: Annotated[
        str | None, Query(max_length=2000, description="Comma-separated services; default: every one.")
    ] = None,
    platform: Annotated[
        bool, Query(description="Also the load balancer's access log and the supervisor's events.")
    ] = False,
    since: SinceQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
) -> dict[str, Any]:
    """Run a CloudWatch Logs Insights query over the environment's logs; the answer has
    GetQueryResults' shape (``results`` of ``{field, value}``, ``statistics``) and ``columns``."""
    if not isinstance(fleet, LogQueries):
        raise ApiError(400, f"environment {fleet.environment!r} cannot run log queries")
    start, end = time_window(since, start, end, now=clock.now())
    names = None if services is None else [name.strip() for name in services.split(",") if name.strip()]
    check_request_names(request, services=names or ())
    result = fleet.query_logs(query, services=names, platform=platform, start=start, end=end)
    # Instance logs are written redacted; this covers files written before that.
    answer: dict[str, Any] = redactor.value(result.to_json())
    return answer


@router.get("/fleet/activities", name="fleet.activities", dependencies=viewer)
def fleet_activities(
    fleet: FleetDep, request: Request, service: Annotated[str | None, Query(max_length=100)] = None
) -> dict[str, Any]:
    """Changes of desired counts, by autoscaling or operators, newest first (as
    describe-scaling-activities lists them)."""
    check_request_names(request, services=[service])
    return {"activities": [a.to_json() for a in fleet.scaling_activities(service)]}


@router.post("/rollouts", name="rollouts.start", dependencies=operator)
def start_rollout(body: RolloutBody, request: Request, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """Start replacing the service's instances with ``version``; a known id returns that rollout.
    A new one is refused (423) in maintenance, for a blocked service, or while a deployment
    holds the environment's lock."""
    fleet = pick_fleet(request, body.environment)
    check_request_names(request, services=[body.service])
    if body.rollout_id is None or store.rollouts.get(body.rollout_id) is None:
        action = f"rollout of {body.service!r} in {fleet.environment!r}"
        check_change(store, fleet.environment, [body.service], action=action, clock=clock)
    preferences = None
    if body.preferences is not None:
        preferences = RefreshPreferences.from_aws(body.preferences.model_dump(exclude_none=True))
    rollout = RolloutRequest(
        rollout_id=body.rollout_id or f"api-{uuid.uuid4().hex[:12]}",
        environment=fleet.environment,
        service=body.service,
        version=body.version,
        release_number=body.release_number,
        preferences=preferences,
    )
    return fleet.start_rollout(rollout).to_json()


@router.get("/rollouts/{rollout_id}", name="rollouts.describe", dependencies=viewer)
def describe_rollout(
    rollout_id: str,
    request: Request,
    store: StoreDep,
    redactor: RedactorDep,
    environment: EnvironmentQuery = None,
) -> dict[str, Any]:
    """The rollout as DescribeInstanceRefreshes shows it."""
    fleet = _rollout_fleet(request, store, rollout_id, environment)
    try:
        answer: dict[str, Any] = redactor.value(fleet.describe_rollout(rollout_id).to_json())
        return answer
    except KeyError:
        raise ApiError(404, f"no rollout {rollout_id!r}") from None


@router.post("/rollouts/{rollout_id}/cancel", name="rollouts.cancel", dependencies=operator)
def cancel_rollout(
    rollout_id: str, request: Request, store: StoreDep, environment: EnvironmentQuery = None
) -> dict[str, Any]:
    """Stop replacing instances (instances already replaced stay)."""
    fleet = _rollout_fleet(request, store, rollout_id, environment)
    try:
        return fleet.cancel_rollout(rollout_id).to_json()
    except KeyError:
        raise ApiError(404, f"no rollout {rollout_id!r}") from None


def _rollout_fleet(request: Request, store: Store, rollout_id: str, environment: str | None) -> FleetControl:
    # A rollout the store knows names its environment; one it does not is looked for in the
    # environment asked for (or the only one), which answers 404.
    row = store.rollouts.get(rollout_id) if environment is None else None
    return pick_fleet(request, row.environment if row is not None else environment)
