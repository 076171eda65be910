"""The recurring maintenance repository: schedules, and which occurrence each last opened and
announced the end of (so a restarted control plane neither opens one twice nor misses an end)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from fleetops.store.sessions import Sessions
from fleetops.store.tables import maintenance_schedules


@dataclass(frozen=True)
class MaintenanceSchedule:
    """A recurring maintenance window."""

    id: int
    scope: str
    """An environment, or ``*`` for every one."""
    cron: str
    duration: timedelta
    reason: str
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None = None
    last_started_at: datetime | None = None
    last_ended_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""

        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "id": self.id,
            "environment": None if self.scope == "*" else self.scope,
            "cron": self.cron,
            "duration_seconds": int(self.duration.total_seconds()),
            "reason": self.reason,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "cancelled_at": iso(self.cancelled_at),
            "last_started_at": iso(self.last_started_at),
            "last_ended_at": iso(self.last_ended_at),
        }


class MaintenanceScheduleRepository:
    """Reach it as ``store.maintenance_schedules``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def add(
        self, *, scope: str, cron: str, duration: timedelta, reason: str, by: str, now: datetime
    ) -> MaintenanceSchedule:
        """Store a new schedule."""
        row = {
            "scope": scope,
            "cron": cron,
            "duration_s": int(duration.total_seconds()),
            "reason": reason,
            "created_by": by,
            "created_at": now,
        }
        with self._store.transaction() as session:
            new_id = session.execute(
                insert(maintenance_schedules).values(row).returning(maintenance_schedules.c.id)
            ).scalar_one()
        found = self.get(int(new_id))
        assert found is not None  # just inserted
        return found

    def get(self, schedule_id: int) -> MaintenanceSchedule | None:
        """The schedule with ``schedule_id``, if any."""
        query = select(maintenance_schedules).where(maintenance_schedules.c.id == schedule_id)
        with self._store.session() as session:
            row = session.execute(query).mappings().first()
        return None if row is None else _schedule(dict(row))

    def list(self, *, active: bool = True) -> list[MaintenanceSchedule]:
        """Schedules by id (only those not cancelled, with ``active``)."""
        query = select(maintenance_schedules).order_by(maintenance_schedules.c.id)
        if active:
            query = query.where(maintenance_schedules.c.cancelled_at.is_(None))
        with self._store.session() as session:
            return [_schedule(dict(row)) for row in session.execute(query).mappings()]

    def cancel(self, schedule_id: int, *, now: datetime) -> MaintenanceSchedule | None:
        """Cancel it (no later window opens); None when no active schedule has that id."""
        with self._store.transaction() as session:
            done = session.execute(
                update(maintenance_schedules)
                .where(
                    maintenance_schedules.c.id == schedule_id, maintenance_schedules.c.cancelled_at.is_(None)
                )
                .values(cancelled_at=now)
            )
        return self.get(schedule_id) if done.rowcount else None  # type: ignore[attr-defined]

    def mark(
        self, schedule_id: int, *, started: datetime | None = None, ended: datetime | None = None
    ) -> None:
        """Record the occurrence opened (``started``) or whose end was announced (``ended``)."""
        values = {"last_started_at": started} if started is not None else {"last_ended_at": ended}
        with self._store.transaction() as session:
            session.execute(
                update(maintenance_schedules)
                .where(maintenance_schedules.c.id == schedule_id)
                .values(**values)
            )


def _schedule(row: dict[str, Any]) -> MaintenanceSchedule:
    return MaintenanceSchedule(
        id=int(row["id"]),
        scope=row["scope"],
        cron=row["cron"],
        duration=timedelta(seconds=row["duration_s"]),
        reason=row["reason"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        cancelled_at=row["cancelled_at"],
        last_started_at=row["last_started_at"],
        last_ended_at=row["last_ended_at"],
    )
