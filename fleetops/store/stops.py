"""Stopped executions: the fence between ``fleetops stop`` and a handler still running in its thread.

The engine cannot interrupt a handler's thread: a deployment stopped while its initialize step
runs may take the environment lock or pin a release *after* the stop looked at what it held.
So the stop records the execution here first, and the lock acquisition and the release pin of
an execution check this table in their own transaction, refusing a stopped one
(:class:`ExecutionStopped`). The record and the check queue on one key (SQLite's ``BEGIN
IMMEDIATE`` serialises every writer; PostgreSQL takes an advisory lock named after the
execution), so once :meth:`StoppedExecutions.record` has returned, what the stop reads of the
execution's lock and releases is all it will ever hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fleetops.errors import Refused
from fleetops.store.advisory import advisory_key
from fleetops.store.database import StoreKind
from fleetops.store.sessions import Sessions
from fleetops.store.tables import stopped_executions


@dataclass(frozen=True)
class Stop:
    """Who stopped an execution, and when."""

    execution_id: str
    stopped_by: str
    stopped_at: datetime


class ExecutionStopped(Refused):
    """The execution was stopped: it may not take a lock or pin a release any more."""

    def __init__(self, stop: Stop) -> None:
        super().__init__(
            f"execution {stop.execution_id!r} was stopped by {stop.stopped_by} at "
            f"{stop.stopped_at.isoformat()}: it may not take the lock or pin releases any more"
        )
        self.stop = stop


class StoppedExecutions:
    """Records stops and checks for them. Reach it as ``store.stopped``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def record(self, execution_id: str, *, by: str, now: datetime | None = None) -> Stop:
        """Record that ``execution_id`` is stopped (idempotent: the first stop is kept)."""
        row = {"execution_id": execution_id, "stopped_by": by, "stopped_at": now or datetime.now(UTC)}
        dialect = postgresql if self._store.kind is StoreKind.POSTGRESQL else sqlite
        with self._store.transaction() as session:
            _queue(self._store, session, execution_id)
            session.execute(dialect.insert(stopped_executions).values(row).on_conflict_do_nothing())
            found = _get(session, execution_id)
        assert found is not None
        return found

    def get(self, execution_id: str) -> Stop | None:
        """The stop of ``execution_id``, if it was stopped."""
        with self._store.session() as session:
            return _get(session, execution_id)


def refuse_if_stopped(store: Sessions, session: Session, execution_id: str) -> None:
    """Raise :class:`ExecutionStopped` if ``execution_id`` was stopped; call it first in the
    transaction that takes a lock or pins a release for it, so a stop waits for that
    transaction to end or the transaction sees the stop."""
    _queue(store, session, execution_id)
    stop = _get(session, execution_id)
    if stop is not None:
        raise ExecutionStopped(stop)


def _queue(store: Sessions, session: Session, execution_id: str) -> None:
    if store.kind is StoreKind.POSTGRESQL:
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key("execution", execution_id)}
        )


def _get(session: Session, execution_id: str) -> Stop | None:
    row = (
        session.execute(select(stopped_executions).where(stopped_executions.c.execution_id == execution_id))
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Stop(row["execution_id"], row["stopped_by"], row["stopped_at"])
