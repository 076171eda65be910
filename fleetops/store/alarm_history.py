"""Alarm history: each alarm's state changes and the actions taken or held on them, and which
alarms have their actions disabled (kept over restarts of the control plane)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from fleetops.store.sessions import Sessions
from fleetops.store.tables import alarm_actions_disabled, alarm_history

STATE_UPDATE = "StateUpdate"
ACTION = "Action"
MAX_ITEMS = 1000


@dataclass(frozen=True)
class HistoryItem:
    """One entry, as DescribeAlarmHistory lists it."""

    environment: str
    alarm: str
    service: str
    at: datetime
    kind: str
    """``StateUpdate`` or ``Action``."""
    old_state: str | None
    new_state: str | None
    summary: str
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "alarm": self.alarm,
            "service": self.service,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "old_state": self.old_state,
            "new_state": self.new_state,
            "summary": self.summary,
            "reason": self.reason,
        }


class AlarmHistoryRepository:
    """Reach it as ``store.alarm_history``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def add(self, item: HistoryItem) -> None:
        """Record one entry."""
        with self._store.transaction() as session:
            session.execute(insert(alarm_history).values(**item.__dict__))

    def list(
        self, environment: str, alarm: str, *, service: str | None = None, limit: int = 100
    ) -> list[HistoryItem]:
        """The alarm's entries (only ``service``'s if given), newest first."""
        query = select(alarm_history).where(
            alarm_history.c.environment == environment, alarm_history.c.alarm == alarm
        )
        if service is not None:
            query = query.where(alarm_history.c.service == service)
        query = query.order_by(alarm_history.c.at.desc(), alarm_history.c.id.desc()).limit(
            min(limit, MAX_ITEMS)
        )
        with self._store.session() as session:
            rows = session.execute(query).mappings().all()
        return [HistoryItem(**{k: v for k, v in row.items() if k != "id"}) for row in rows]

    def disabled(self, environment: str) -> set[tuple[str, str]]:
        """(alarm, service) of the environment's alarms whose actions are disabled."""
        query = select(alarm_actions_disabled.c.alarm, alarm_actions_disabled.c.service).where(
            alarm_actions_disabled.c.environment == environment
        )
        with self._store.session() as session:
            return {(str(a), str(s)) for a, s in session.execute(query)}

    def set_enabled(
        self, environment: str, alarm: str, service: str, *, enabled: bool, by: str, at: datetime
    ) -> None:
        """Enable or disable the alarm's actions (idempotent)."""
        key = (
            alarm_actions_disabled.c.environment == environment,
            alarm_actions_disabled.c.alarm == alarm,
            alarm_actions_disabled.c.service == service,
        )
        with self._store.transaction() as session:
            session.execute(delete(alarm_actions_disabled).where(*key))
            if not enabled:
                session.execute(
                    insert(alarm_actions_disabled).values(
                        environment=environment, alarm=alarm, service=service, by=by, at=at
                    )
                )
