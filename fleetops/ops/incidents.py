"""Incidents (``fleetops incident open|update|resolve|list|show``): severities, statuses, the
checks on what people write, and the notification each change sends.

A severity is announced at a notification level, so channels route incidents with the
``levels`` they already have:

    SEV1 -> critical    SEV2 -> error    (a pager: ``levels: [critical, error]``)
    SEV3 -> warning     SEV4 -> info     (chat: ``levels: [warning, info]``)

Every change is one event (``incident.opened``, ``incident.updated``, ``incident.resolved``) at
the incident's level; the three share an alert key, so PagerDuty keeps one alert per incident,
adds the updates to it and resolves it with the incident. An incident is resolved once: an
update or a second resolution afterwards is refused (``IncidentResolved``), as a revoked token
or a cancelled maintenance schedule is, and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetops.errors import BadInput
from fleetops.ops.incident_terms import Severity, Status
from fleetops.ops.notify import DeploymentEvent, EventKind
from fleetops.store import Store
from fleetops.store.incidents import Incident

MAX_ETA = timedelta(days=30)
TITLE_MAX = 200
TEXT_MAX = 4000


def _text(value: str, what: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise BadInput(f"{what} is empty: say what happened")
    if len(text) > limit:
        raise BadInput(f"{what} is {len(text)} characters long; at most {limit}")
    return text


def _eta(eta: timedelta | None, now: datetime) -> datetime | None:
    if eta is None:
        return None
    if not timedelta(0) < eta <= MAX_ETA:
        raise BadInput(f"--eta must be more than 0 and at most 30d, got {eta}")
    return now + eta


def open_incident(
    store: Store,
    *,
    environment: str,
    severity: Severity,
    title: str,
    description: str | None,
    eta: timedelta | None,
    by: str,
    now: datetime,
) -> Incident:
    """Store a new incident, ``investigating``; ``BadInput`` for an empty or too long text or an
    ETA outside (0, 30d]."""
    checked_title = _text(title, "--title", TITLE_MAX)
    checked = None if description is None else _text(description, "--description", TEXT_MAX)
    eta_at = _eta(eta, now)
    return store.incidents.open(
        environment=environment,
        severity=severity.value,
        title=checked_title,
        description=checked,
        status=Status.INVESTIGATING.value,
        message=checked or f"opened: {checked_title}",
        eta_at=eta_at,
        by=by,
        now=now,
    )


def update_incident(
    store: Store,
    incident_id: int,
    *,
    status: Status | None,
    message: str,
    eta: timedelta | None,
    by: str,
    now: datetime,
) -> Incident:
    """Add an update to an open incident (``status`` None: it stays where it is); ``BadInput``
    for bad text, ``IncidentNotFound``, ``IncidentResolved``."""
    checked = _text(message, "--message", TEXT_MAX)
    eta_at = _eta(eta, now)
    if status is None:
        current = store.incidents.get(incident_id)
        # A missing or resolved incident is reported by the update itself, below.
        status = (
            Status(current.status) if current is not None and not current.resolved else Status.INVESTIGATING
        )
    return store.incidents.update(
        incident_id, status=status.value, message=checked, eta_at=eta_at, by=by, now=now
    )


def resolve_incident(store: Store, incident_id: int, *, summary: str, by: str, now: datetime) -> Incident:
    """Resolve an open incident; ``BadInput`` for a bad summary, ``IncidentNotFound``,
    ``IncidentResolved``."""
    return store.incidents.resolve(incident_id, summary=_text(summary, "--summary", TEXT_MAX), by=by, now=now)


_KINDS = {EventKind.OPENED, EventKind.UPDATED, EventKind.RESOLVED}


def incident_event(kind: EventKind, incident: Incident) -> DeploymentEvent:
    """The notification of the incident's latest change (``kind``: opened, updated, resolved)."""
    if kind not in _KINDS:
        raise ValueError(f"{kind} is not an incident event (opened, updated, resolved)")
    entry = incident.timeline[-1]
    lines = [f"status: {entry.status}", f"by: {entry.author}"]
    if kind is EventKind.RESOLVED:
        lines.append(f"summary: {entry.message}")
    else:
        lines.append(f"message: {entry.message}")
        if incident.eta_at is not None:
            lines.append(f"eta: {incident.eta_at.strftime('%Y-%m-%d %H:%M')} UTC")
    took = None if incident.resolved_at is None else incident.resolved_at - incident.opened_at
    return DeploymentEvent(
        kind=kind,
        environment=incident.environment,
        # One key per timeline entry: each update is a notification of its own.
        execution_id=f"incident-{incident.id}-{len(incident.timeline)}",
        at=entry.at,
        duration=took if kind is EventKind.RESOLVED else None,
        operation="incident",
        level=Severity(incident.severity).level,
        subject=f"{incident.severity} #{incident.id} {incident.title}",
        lines=tuple(lines),
        alert_key=f"incident/{incident.environment}/{incident.id}",
    )
