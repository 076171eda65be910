"""``/incidents``: open, update and resolve incidents (operator), list and show them (viewer).

Each change is announced to the fleet file's channels at the incident's level
(``fleetops.ops.incidents``: SEV1 critical ... SEV4 info) as ``incident.opened``,
``incident.updated`` or ``incident.resolved``, deduplicated, redacted and recorded as any
notification is; the answer carries the incident (its timeline included) and the deliveries.
Text people write (title, description, messages, summary) is stored with the fleet's secret
values redacted. 404 for an unknown id; 409 for an update or a resolution of a resolved
incident (nothing changes).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from pydantic import Field

from fleetops.control.environments import Environments
from fleetops.ops.incident_terms import Severity, Status
from fleetops.ops.incidents import (
    incident_event,
    open_incident,
    resolve_incident,
    update_incident,
)
from fleetops.ops.notify import EventKind, notify
from fleetops.ops.notify.pipeline import ChannelSpec
from fleetops.redaction import Redactor
from fleetops.server.auth import Principal, Role, require
from fleetops.server.deps import RedactorDep, StoreDep
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import EnumText, StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.server.routes.fleet import pick_fleet
from fleetops.spec.duration_field import Duration
from fleetops.store import Store
from fleetops.store.incidents import Incident, IncidentNotFound, IncidentResolved

router = RouteTable(tags=["incidents"], responses=error_responses(*AUTHENTICATED, 400, 404, 409, 423))
operator = require(Role.OPERATOR)
IncidentId = Annotated[int, Path(ge=1, le=2**62, description="The incident's id (fleetops incident list).")]


class IncidentOpen(StrictModel):
    """A new incident."""

    severity: EnumText[Severity]
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, min_length=1, max_length=4000)
    eta: Duration | None = Field(None, description="When a fix is expected, from now: 30m, 2h (at most 30d).")
    environment: str | None = Field(None, max_length=100, description="Default: the only one running.")


class IncidentUpdate(StrictModel):
    """An update of an open incident."""

    message: str = Field(min_length=1, max_length=4000)
    status: EnumText[Status] | None = Field(None, description="Default: the incident's current status.")
    eta: Duration | None = Field(None, description="A new estimate, from now.")


class IncidentResolve(StrictModel):
    """How the incident ended."""

    summary: str = Field(min_length=1, max_length=4000)


def _environment(environments: Environments, request: Request, named: str | None) -> str:
    """The environment named (a running one, or any of the fleet file's), else the only one running."""
    if named is not None and environments.get(named) is not None:
        return named
    if named is not None:
        environments.check(named)
        return named
    return pick_fleet(request, None).environment


def _channels(environments: Environments, environment: str) -> dict[str, ChannelSpec]:
    runtime = environments.get(environment)
    fleet = runtime.fleet if runtime is not None else environments.fleet
    return {} if fleet is None else dict(fleet.notifications)


def _announce(
    request: Request, store: Store, clock: ClockDep, kind: EventKind, incident: Incident
) -> dict[str, Any]:
    environments: Environments = request.app.state.environments
    environment = incident.environment
    vault = request.app.state.secrets
    deliveries = notify(
        store,
        _channels(environments, environment),
        [incident_event(kind, incident)],
        secret_values=environments.secret_values(environment),
        secret_value=lambda name: vault.lookup(environment, name),
        clock=clock,
    )
    return {
        **incident.to_json(),
        "event": f"incident.{kind}",
        "deliveries": [{"channel": d.channel, "status": str(d.status), "error": d.error} for d in deliveries],
    }


def _clean(redactor: Redactor, text: str | None) -> str | None:
    return None if text is None else redactor.text(text)


def _known(store: Store, incident_id: int) -> Incident:
    found = store.incidents.get(incident_id)
    if found is None:
        raise ApiError(404, f"no incident {incident_id} (fleetops incident list --all)")
    return found


def _refused(err: IncidentResolved) -> ApiError:
    done = err.incident
    at = done.resolved_at.isoformat() if done.resolved_at is not None else "?"
    return ApiError(
        409,
        f"incident {done.id} was resolved at {at} by {done.resolved_by}; nothing changed (open a new one)",
    )


@router.get("/incidents", name="incidents.list", dependencies=[Depends(require(Role.VIEWER))])
def incidents(
    request: Request,
    store: StoreDep,
    include_resolved: Annotated[bool, Query(alias="all", description="Resolved incidents too.")] = False,
    environment: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Incidents, newest first: the open ones (``?all=true``: resolved ones too); 400 for an
    environment the fleet file does not have."""
    check_request_names(request, environments=[environment])
    found = store.incidents.list(resolved=include_resolved, environment=environment, limit=limit)
    return {"incidents": [incident.to_json() for incident in found]}


@router.get("/incidents/{incident_id}", name="incidents.show", dependencies=[Depends(require(Role.VIEWER))])
def show(incident_id: IncidentId, store: StoreDep) -> dict[str, Any]:
    """One incident with its timeline."""
    return _known(store, incident_id).to_json()


@router.post("/incidents", name="incidents.open", status_code=201)
def open_(
    *,
    body: IncidentOpen,
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    redactor: RedactorDep,
    caller: Annotated[Principal, Depends(operator)],
) -> dict[str, Any]:
    """Open an incident (``investigating``) and announce ``incident.opened``."""
    environment = _environment(request.app.state.environments, request, body.environment)
    incident = open_incident(
        store,
        environment=environment,
        severity=Severity(body.severity),
        title=redactor.text(body.title),
        description=_clean(redactor, body.description),
        eta=body.eta,
        by=caller.name,
        now=clock.now(),
    )
    return _announce(request, store, clock, EventKind.OPENED, incident)


@router.post("/incidents/{incident_id}/updates", name="incidents.update", status_code=201)
def update(
    *,
    incident_id: IncidentId,
    body: IncidentUpdate,
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    redactor: RedactorDep,
    caller: Annotated[Principal, Depends(operator)],
) -> dict[str, Any]:
    """Add an update to the timeline (a new status, a message) and announce ``incident.updated``."""
    try:
        incident = update_incident(
            store,
            incident_id,
            status=None if body.status is None else Status(body.status),
            message=redactor.text(body.message),
            eta=body.eta,
            by=caller.name,
            now=clock.now(),
        )
    except IncidentResolved as err:
        raise _refused(err) from err
    except IncidentNotFound as err:
        raise ApiError(404, f"no incident {incident_id}") from err
    return _announce(request, store, clock, EventKind.UPDATED, incident)


@router.post("/incidents/{incident_id}/resolve", name="incidents.resolve")
def resolve(
    *,
    incident_id: IncidentId,
    body: IncidentResolve,
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    redactor: RedactorDep,
    caller: Annotated[Principal, Depends(operator)],
) -> dict[str, Any]:
    """Resolve the incident and announce ``incident.resolved`` (a pager's alert is resolved)."""
    try:
        incident = resolve_incident(
            store, incident_id, summary=redactor.text(body.summary), by=caller.name, now=clock.now()
        )
    except IncidentResolved as err:
        raise _refused(err) from err
    except IncidentNotFound as err:
        raise ApiError(404, f"no incident {incident_id}") from err
    return _announce(request, store, clock, EventKind.RESOLVED, incident)
