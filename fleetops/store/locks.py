"""The deployment lock repository: one lock per environment, held under a lease.

Acquiring is one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` statement, atomic on SQLite and on
PostgreSQL: it inserts the lock, or takes it over when its lease has expired (a crashed holder)
or when the caller already holds it (a retried handler), and otherwise changes nothing. Whether
a row came back tells the caller whether it now holds the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Insert, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fleetops.store.database import StoreKind
from fleetops.store.sessions import Sessions
from fleetops.store.stops import refuse_if_stopped
from fleetops.store.tables import locks


@dataclass(frozen=True)
class Lock:
    """A held deployment lock."""

    environment: str
    owner: str
    reason: str
    acquired_at: datetime
    expires_at: datetime
    renewed_at: datetime

    def expired(self, now: datetime) -> bool:
        """Whether the lease has run out at ``now`` (anyone may then take the lock)."""
        return self.expires_at <= now

    def to_json(self) -> dict[str, Any]:
        """The lock as JSON-ready values."""
        return {
            "environment": self.environment,
            "owner": self.owner,
            "reason": self.reason,
            "acquired_at": self.acquired_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "renewed_at": self.renewed_at.isoformat(),
        }


@dataclass(frozen=True)
class Acquired:
    """The outcome of ``acquire``: the lock now held, or the holder that kept it."""

    lock: Lock
    acquired: bool
    """True when the caller holds ``lock``; False when ``lock`` is someone else's."""
    previous: Lock | None = None
    """The expired lock the caller took over, if any."""


class LockRepository:
    """Acquires, renews and releases deployment locks. Reach it as ``store.locks``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def acquire(
        self, environment: str, *, owner: str, reason: str, lease: timedelta, now: datetime | None = None
    ) -> Acquired:
        """Take the lock of ``environment`` for ``owner`` for ``lease``, if it is free.

        Free means: nobody holds it, its lease expired, or ``owner`` holds it already (then the
        lease is extended and ``acquired_at`` kept). Otherwise nothing changes and the holder
        is returned with ``acquired=False``. Raises ``ExecutionStopped`` when ``owner`` (an
        execution) was stopped (``store.stopped``).
        """
        if lease <= timedelta(0):
            raise ValueError(f"a lease must be positive (got {lease})")
        at = now or datetime.now(UTC)
        row = {
            "environment": environment,
            "owner": owner,
            "reason": reason,
            "acquired_at": at,
            "expires_at": at + lease,
            "renewed_at": at,
        }
        while True:
            with self._store.transaction() as session:
                refuse_if_stopped(self._store, session, owner)
                before = _get(session, environment)
                statement = self._upsert(row, at).returning(*locks.c)
                taken = session.execute(statement).mappings().first()
                if taken is not None:
                    lock = _lock(dict(taken))
                    stolen = before if before is not None and before.owner != owner else None
                    return Acquired(lock=lock, acquired=True, previous=stolen)
                holder = _get(session, environment)
            if holder is not None:
                return Acquired(lock=holder, acquired=False)
            # The holder released it between our statements: try again.

    def _upsert(self, row: dict[str, Any], at: datetime) -> Insert:
        dialect = postgresql if self._store.kind is StoreKind.POSTGRESQL else sqlite
        statement = dialect.insert(locks).values(row)
        excluded = statement.excluded
        keep_start = locks.c.owner == excluded.owner
        upsert: Insert = statement.on_conflict_do_update(
            index_elements=[locks.c.environment],
            set_={
                "owner": excluded.owner,
                "reason": excluded.reason,
                # A holder re-acquiring keeps its start; a new holder starts now.
                "acquired_at": case((keep_start, locks.c.acquired_at), else_=excluded.acquired_at),
                "expires_at": excluded.expires_at,
                "renewed_at": excluded.renewed_at,
            },
            where=(locks.c.expires_at <= at) | keep_start,
        )
        return upsert

    def renew(
        self, environment: str, *, owner: str, lease: timedelta, now: datetime | None = None
    ) -> Lock | None:
        """Extend ``owner``'s lease to ``now + lease``; None when ``owner`` does not hold the lock.

        An expired lease is renewed too as long as nobody took the lock over: until then no
        other deployment has run.
        """
        at = now or datetime.now(UTC)
        with self._store.transaction() as session:
            session.execute(
                update(locks)
                .where(locks.c.environment == environment, locks.c.owner == owner)
                .values(expires_at=at + lease, renewed_at=at)
            )
            lock = _get(session, environment)
        return lock if lock is not None and lock.owner == owner else None

    def transfer(
        self,
        environment: str,
        *,
        from_owner: str,
        to_owner: str,
        reason: str,
        lease: timedelta,
        now: datetime | None = None,
    ) -> Lock | None:
        """Hand ``from_owner``'s lock to ``to_owner`` in one statement; None when ``from_owner``
        does not hold it. The lock is never free in between, so nobody can take it there
        (a stopped execution hands its lock to the rollback undoing it). ``acquired_at`` starts
        anew; an expired lease is handed over too (nobody took it over). Raises
        ``ExecutionStopped`` when ``to_owner`` was stopped.
        """
        if lease <= timedelta(0):
            raise ValueError(f"a lease must be positive (got {lease})")
        at = now or datetime.now(UTC)
        with self._store.transaction() as session:
            refuse_if_stopped(self._store, session, to_owner)
            moved = (
                session.execute(
                    update(locks)
                    .where(locks.c.environment == environment, locks.c.owner == from_owner)
                    .values(
                        owner=to_owner, reason=reason, acquired_at=at, expires_at=at + lease, renewed_at=at
                    )
                    .returning(*locks.c)
                )
                .mappings()
                .first()
            )
        return None if moved is None else _lock(dict(moved))

    def release(self, environment: str, *, owner: str, by_stop: bool = False) -> bool:
        """Release ``owner``'s lock; False when ``owner`` did not hold it (already released or taken over).

        Raises ``ExecutionStopped`` when ``owner`` was stopped, unless ``by_stop`` (the stop
        itself gives the lock back): a step of a stopped execution still running in its thread
        (finalize, between marking its releases and this) must not free the environment that
        the stop keeps locked for its rollback (``transfer``), or a new deployment slips in.
        """
        with self._store.transaction() as session:
            if not by_stop:
                refuse_if_stopped(self._store, session, owner)
            held = session.execute(
                delete(locks)
                .where(locks.c.environment == environment, locks.c.owner == owner)
                .returning(locks.c.owner)
            ).first()
        return held is not None

    def force_release(self, environment: str) -> Lock | None:
        """Release the lock of ``environment`` whoever holds it; the lock that was released, if any."""
        with self._store.transaction() as session:
            lock = _get(session, environment)
            if lock is not None:
                session.execute(delete(locks).where(locks.c.environment == environment))
        return lock

    def get(self, environment: str) -> Lock | None:
        """The lock of ``environment`` (possibly with an expired lease), if any."""
        with self._store.session() as session:
            return _get(session, environment)

    def list(self) -> list[Lock]:
        """Every lock row, by environment (expired leases included: see ``Lock.expired``)."""
        with self._store.session() as session:
            rows = session.execute(select(locks).order_by(locks.c.environment)).mappings().all()
        return [_lock(dict(row)) for row in rows]


def _get(session: Session, environment: str) -> Lock | None:
    row = session.execute(select(locks).where(locks.c.environment == environment)).mappings().first()
    return None if row is None else _lock(dict(row))


def _lock(row: dict[str, Any]) -> Lock:
    return Lock(
        environment=row["environment"],
        owner=row["owner"],
        reason=row["reason"],
        acquired_at=row["acquired_at"],
        expires_at=row["expires_at"],
        renewed_at=row["renewed_at"],
    )
