"""The incident repository: incidents (severity, title, status, resolution) and each one's
timeline (every change with its time, author, status and message), written together in one
transaction so the two never disagree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from fleetops.store.sessions import Sessions
from fleetops.store.tables import incident_updates, incidents

RESOLVED = "resolved"
"""The status a resolution writes (the others are the callers' to choose)."""


class IncidentNotFound(Exception):
    """No incident has this id."""

    def __init__(self, incident_id: int) -> None:
        super().__init__(f"no incident {incident_id}")
        self.incident_id = incident_id


class IncidentResolved(Exception):
    """The incident was resolved already: it takes no more updates and no second resolution."""

    def __init__(self, incident: Incident) -> None:
        super().__init__(f"incident {incident.id} is resolved")
        self.incident = incident


@dataclass(frozen=True)
class TimelineEntry:
    """One change of an incident."""

    at: datetime
    author: str
    """The name of the token that wrote it."""
    status: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "at": self.at.isoformat(),
            "author": self.author,
            "status": self.status,
            "message": self.message,
        }


@dataclass(frozen=True)
class Incident:
    """An incident as stored, with its timeline (oldest first)."""

    id: int
    environment: str
    severity: str
    title: str
    description: str | None
    status: str
    eta_at: datetime | None
    opened_by: str
    opened_at: datetime
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    summary: str | None = None
    timeline: tuple[TimelineEntry, ...] = ()

    @property
    def resolved(self) -> bool:
        """Whether it was resolved."""
        return self.resolved_at is not None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values; ``time_to_resolve_seconds`` once resolved."""

        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        took = None if self.resolved_at is None else (self.resolved_at - self.opened_at).total_seconds()
        return {
            "id": self.id,
            "environment": self.environment,
            "severity": self.severity,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "eta": iso(self.eta_at),
            "opened_by": self.opened_by,
            "opened_at": self.opened_at.isoformat(),
            "resolved_by": self.resolved_by,
            "resolved_at": iso(self.resolved_at),
            "summary": self.summary,
            "time_to_resolve_seconds": took,
            "timeline": [entry.to_json() for entry in self.timeline],
        }


class IncidentRepository:
    """Reach it as ``store.incidents``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def open(
        self,
        *,
        environment: str,
        severity: str,
        title: str,
        description: str | None,
        status: str,
        message: str,
        eta_at: datetime | None,
        by: str,
        now: datetime,
    ) -> Incident:
        """Store a new incident and the first entry of its timeline (``status``, ``message``)."""
        row = {
            "environment": environment,
            "severity": severity,
            "title": title,
            "description": description,
            "status": status,
            "eta_at": eta_at,
            "opened_by": by,
            "opened_at": now,
        }
        with self._store.transaction() as session:
            new_id = int(
                session.execute(insert(incidents).values(row).returning(incidents.c.id)).scalar_one()
            )
            _append(session, new_id, at=now, author=by, status=status, message=message)
        return self._must_get(new_id)

    def get(self, incident_id: int) -> Incident | None:
        """The incident with ``incident_id`` and its timeline, if any."""
        found = _load(self._store, select(incidents).where(incidents.c.id == incident_id))
        return found[0] if found else None

    def list(
        self,
        *,
        resolved: bool = False,
        environment: str | None = None,
        opened_since: datetime | None = None,
        limit: int = 1000,
    ) -> list[Incident]:
        """Incidents, newest first: the open ones, or every one with ``resolved``; of one
        environment, opened at or after ``opened_since``, when given."""
        query = select(incidents).order_by(incidents.c.id.desc()).limit(limit)
        if not resolved:
            query = query.where(incidents.c.resolved_at.is_(None))
        if environment is not None:
            query = query.where(incidents.c.environment == environment)
        if opened_since is not None:
            query = query.where(incidents.c.opened_at >= opened_since)
        return _load(self._store, query)

    def update(
        self,
        incident_id: int,
        *,
        status: str,
        message: str,
        eta_at: datetime | None,
        by: str,
        now: datetime,
    ) -> Incident:
        """Append an entry to the timeline and make ``status`` (and ``eta_at`` when given) the
        incident's; ``IncidentNotFound``, ``IncidentResolved``."""
        values: dict[str, Any] = {"status": status}
        if eta_at is not None:
            values["eta_at"] = eta_at
        self._change(incident_id, values, status=status, message=message, by=by, now=now)
        return self._must_get(incident_id)

    def resolve(self, incident_id: int, *, summary: str, by: str, now: datetime) -> Incident:
        """Resolve it (status ``resolved``, the summary the timeline's last entry);
        ``IncidentNotFound``, ``IncidentResolved`` (a resolution happens once)."""
        values = {"status": RESOLVED, "resolved_by": by, "resolved_at": now, "summary": summary}
        self._change(incident_id, values, status=RESOLVED, message=summary, by=by, now=now)
        return self._must_get(incident_id)

    def _change(
        self, incident_id: int, values: dict[str, Any], *, status: str, message: str, by: str, now: datetime
    ) -> None:
        with self._store.transaction() as session:
            # Only an open incident changes: two resolutions at once, one wins.
            done = session.execute(
                update(incidents)
                .where(incidents.c.id == incident_id, incidents.c.resolved_at.is_(None))
                .values(**values)
            )
            if done.rowcount:  # type: ignore[attr-defined]
                _append(session, incident_id, at=now, author=by, status=status, message=message)
                return
        current = self.get(incident_id)
        if current is None:
            raise IncidentNotFound(incident_id)
        raise IncidentResolved(current)

    def _must_get(self, incident_id: int) -> Incident:
        found = self.get(incident_id)
        if found is None:  # written in this call; gone only if someone deleted the row
            raise IncidentNotFound(incident_id)
        return found


def _load(store: Sessions, query: Any) -> list[Incident]:
    with store.session() as session:
        rows = [dict(row) for row in session.execute(query).mappings()]
        ids = [int(row["id"]) for row in rows]
        entries: dict[int, list[TimelineEntry]] = {i: [] for i in ids}
        if ids:
            updates = session.execute(
                select(incident_updates)
                .where(incident_updates.c.incident_id.in_(ids))
                .order_by(incident_updates.c.id)
            ).mappings()
            for entry in updates:
                entries[int(entry["incident_id"])].append(
                    TimelineEntry(entry["at"], entry["author"], entry["status"], entry["message"])
                )
    return [_incident(row, entries[int(row["id"])]) for row in rows]


def _append(
    session: Session, incident_id: int, *, at: datetime, author: str, status: str, message: str
) -> None:
    session.execute(
        insert(incident_updates).values(
            incident_id=incident_id, at=at, author=author, status=status, message=message
        )
    )


def _incident(row: dict[str, Any], timeline: Sequence[TimelineEntry]) -> Incident:
    return Incident(
        id=int(row["id"]),
        environment=row["environment"],
        severity=row["severity"],
        title=row["title"],
        description=row["description"],
        status=row["status"],
        eta_at=row["eta_at"],
        opened_by=row["opened_by"],
        opened_at=row["opened_at"],
        resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"],
        summary=row["summary"],
        timeline=tuple(timeline),
    )
