"""The notification delivery log: one row per (channel, event), with status, attempts and error.

A row starts ``pending`` when a delivery is claimed and ends ``sent`` or ``failed``; an event
dropped because the same key was sent (or is being sent) within the deduplication window is
recorded as ``duplicate``. Claiming is one write transaction (serialised by ``BEGIN IMMEDIATE``
on SQLite and by a transaction-scoped advisory lock per key on PostgreSQL), so two processes
notifying the same event send it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from fleetops.redaction import redact_text
from fleetops.store.advisory import advisory_key
from fleetops.store.database import StoreKind
from fleetops.store.sessions import Sessions
from fleetops.store.tables import notifications

MAX_LIMIT = 1000
STALE_PENDING = timedelta(minutes=5)
"""A delivery still ``pending`` after this was cut short (its process died): it no longer holds its key."""


class DeliveryStatus(StrEnum):
    """Where a delivery ended (or ``pending`` while it runs)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Delivery:
    """One recorded delivery of an event to a channel."""

    id: int
    channel: str
    event: str
    event_key: str
    environment: str | None
    execution_id: str | None
    status: DeliveryStatus
    attempts: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        """The delivery as JSON-ready values."""
        return {
            "id": self.id,
            "channel": self.channel,
            "event": self.event,
            "event_key": self.event_key,
            "environment": self.environment,
            "execution_id": self.execution_id,
            "status": str(self.status),
            "attempts": self.attempts,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
        }


class NotificationLog:
    """Claims, finishes and lists deliveries. Reach it as ``store.notifications``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def claim(
        self,
        *,
        channel: str,
        event: str,
        event_key: str,
        environment: str | None,
        execution_id: str | None,
        window: timedelta,
        now: datetime,
    ) -> Delivery:
        """Record a delivery about to be made, or a ``duplicate`` when the key is taken.

        The key is taken when a delivery of it to ``channel`` was sent within ``window`` before
        ``now``, or is still being made (``pending`` for less than ``STALE_PENDING``). Only a
        ``pending`` result should be delivered.
        """
        with self._store.transaction() as session:
            if self._store.kind is StoreKind.POSTGRESQL:
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": advisory_key("notify", channel, event_key)},
                )
            taken = session.execute(
                select(notifications.c.id)
                .where(
                    notifications.c.channel == channel,
                    notifications.c.event_key == event_key,
                    notifications.c.created_at > now - window,
                    (notifications.c.status == str(DeliveryStatus.SENT))
                    | (
                        (notifications.c.status == str(DeliveryStatus.PENDING))
                        & (notifications.c.created_at > now - STALE_PENDING)
                    ),
                )
                .limit(1)
            ).first()
            status = DeliveryStatus.PENDING if taken is None else DeliveryStatus.DUPLICATE
            new_id = session.execute(
                insert(notifications)
                .values(
                    channel=channel,
                    event=event,
                    event_key=event_key,
                    environment=environment,
                    execution_id=execution_id,
                    status=str(status),
                    attempts=0,
                    created_at=now,
                    finished_at=None if status is DeliveryStatus.PENDING else now,
                )
                .returning(notifications.c.id)
            ).scalar_one()
            return _get(session, new_id)

    def finish(
        self, delivery_id: int, *, status: DeliveryStatus, attempts: int, error: str | None, now: datetime
    ) -> Delivery:
        """Record how a claimed delivery ended (``error`` is redacted of URL passwords)."""
        with self._store.transaction() as session:
            session.execute(
                update(notifications)
                .where(notifications.c.id == delivery_id)
                .values(
                    status=str(status),
                    attempts=attempts,
                    error=None if error is None else redact_text(error),
                    finished_at=now,
                )
            )
            return _get(session, delivery_id)

    def list(
        self, *, channel: str | None = None, execution_id: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """Deliveries newest first."""
        query = select(notifications)
        if channel is not None:
            query = query.where(notifications.c.channel == channel)
        if execution_id is not None:
            query = query.where(notifications.c.execution_id == execution_id)
        query = query.order_by(notifications.c.id.desc()).limit(min(limit, MAX_LIMIT))
        with self._store.session() as session:
            return [_delivery(dict(row)) for row in session.execute(query).mappings()]


def _get(session: Session, delivery_id: int) -> Delivery:
    row = session.execute(select(notifications).where(notifications.c.id == delivery_id)).mappings().one()
    return _delivery(dict(row))


def _delivery(row: dict[str, Any]) -> Delivery:
    return Delivery(
        id=row["id"],
        channel=row["channel"],
        event=row["event"],
        event_key=row["event_key"],
        environment=row["environment"],
        execution_id=row["execution_id"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        error=row["error"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )
