"""Maintenance windows and service blocks: the store side of "no deployments now".

A maintenance window belongs to a *scope*: an environment's name, or ``"*"`` for every
environment. It is open from ``starts_at`` until ``ends_at`` or until someone ends it
(``ended_at``); an expired window is over without anyone turning it off, because every query
compares with the time it is given. Starting a window where one is open replaces it (the old
one ends at that moment), so a scope has at most one open window.

A block stops deployments of one service, in one scope, until it is removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from fleetops.store.sessions import Sessions
from fleetops.store.tables import maintenance_windows, service_blocks

ALL = "*"
"""The scope meaning every environment."""


@dataclass(frozen=True)
class MaintenanceWindow:
    """One maintenance window."""

    id: int
    scope: str
    reason: str
    started_by: str
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    ended_by: str | None

    @property
    def environment(self) -> str | None:
        """The environment it covers; None for every environment."""
        return None if self.scope == ALL else self.scope

    def open_at(self, now: datetime) -> bool:
        """Whether the window blocks deployments at ``now``."""
        return self.ended_at is None and self.starts_at <= now < self.ends_at

    def to_json(self) -> dict[str, Any]:
        """The window as JSON-ready values."""
        return {
            "id": self.id,
            "environment": self.environment,
            "reason": self.reason,
            "started_by": self.started_by,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "ended_by": self.ended_by,
        }


@dataclass(frozen=True)
class Block:
    """A service whose deployments are refused."""

    scope: str
    service: str
    reason: str
    blocked_by: str
    blocked_at: datetime

    @property
    def environment(self) -> str | None:
        """The environment it covers; None for every environment."""
        return None if self.scope == ALL else self.scope

    def to_json(self) -> dict[str, Any]:
        """The block as JSON-ready values."""
        return {
            "environment": self.environment,
            "service": self.service,
            "reason": self.reason,
            "blocked_by": self.blocked_by,
            "blocked_at": self.blocked_at.isoformat(),
        }


def scope_of(environment: str | None) -> str:
    """The scope stored for ``environment`` (None: every environment)."""
    return ALL if environment is None else environment


class MaintenanceRepository:
    """Maintenance windows and service blocks. Reach it as ``store.maintenance``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def start(
        self, *, scope: str, reason: str, started_by: str, starts_at: datetime, ends_at: datetime
    ) -> MaintenanceWindow:
        """Open a window for ``scope``; one still open there ends at ``starts_at``."""
        if ends_at <= starts_at:
            raise ValueError(f"a maintenance window must end after it starts ({starts_at} .. {ends_at})")
        with self._store.transaction() as session:
            for window in _open(session, [scope], starts_at):
                _end(session, window.id, starts_at, started_by)
            new_id = session.execute(
                insert(maintenance_windows)
                .values(
                    scope=scope, reason=reason, started_by=started_by, starts_at=starts_at, ends_at=ends_at
                )
                .returning(maintenance_windows.c.id)
            ).scalar_one()
            return _get(session, new_id)

    def end(self, *, scope: str, ended_by: str, now: datetime | None = None) -> MaintenanceWindow | None:
        """End the window open for ``scope`` at ``now``; None when none is open."""
        at = now or datetime.now(UTC)
        with self._store.transaction() as session:
            windows = _open(session, [scope], at)
            for window in windows:
                _end(session, window.id, at, ended_by)
            return _get(session, windows[0].id) if windows else None

    def open_windows(
        self, scopes: Sequence[str] | None = None, *, now: datetime | None = None
    ) -> list[MaintenanceWindow]:
        """Windows open at ``now`` (in ``scopes``, when given); the all-environments one first."""
        with self._store.session() as session:
            return _open(session, scopes, now or datetime.now(UTC))

    def history(self, *, scope: str | None = None, limit: int = 100) -> list[MaintenanceWindow]:
        """Windows newest first, open or not."""
        query = select(maintenance_windows)
        if scope is not None:
            query = query.where(maintenance_windows.c.scope == scope)
        query = query.order_by(maintenance_windows.c.id.desc()).limit(limit)
        with self._store.session() as session:
            return [_window(dict(row)) for row in session.execute(query).mappings()]

    def block(
        self, *, scope: str, services: Sequence[str], reason: str, blocked_by: str, now: datetime
    ) -> list[Block]:
        """Block ``services`` in ``scope``; a service already blocked there keeps its block."""
        with self._store.transaction() as session:
            present = {block.service for block in _blocks(session, [scope], services)}
            for service in dict.fromkeys(services):
                if service not in present:
                    session.execute(
                        insert(service_blocks).values(
                            scope=scope, service=service, reason=reason, blocked_by=blocked_by, blocked_at=now
                        )
                    )
            return _blocks(session, [scope], services)

    def unblock(self, *, scope: str, services: Sequence[str]) -> list[Block]:
        """Remove the blocks of ``services`` in ``scope``; the blocks removed."""
        with self._store.transaction() as session:
            removed = _blocks(session, [scope], services)
            session.execute(
                delete(service_blocks).where(
                    service_blocks.c.scope == scope, service_blocks.c.service.in_(list(services))
                )
            )
        return removed

    def blocks(
        self, scopes: Sequence[str] | None = None, services: Sequence[str] | None = None
    ) -> list[Block]:
        """Blocks in ``scopes`` of ``services`` (each: all when None); everywhere-blocks first."""
        with self._store.session() as session:
            return _blocks(session, scopes, services)


def _open(session: Session, scopes: Sequence[str] | None, now: datetime) -> list[MaintenanceWindow]:
    query = select(maintenance_windows).where(
        maintenance_windows.c.ended_at.is_(None),
        maintenance_windows.c.starts_at <= now,
        maintenance_windows.c.ends_at > now,
    )
    if scopes is not None:
        query = query.where(maintenance_windows.c.scope.in_(list(scopes)))
    windows = [_window(dict(row)) for row in session.execute(query).mappings()]
    # Sorted here, not in SQL: the order of "*" among names depends on the database's collation.
    return sorted(windows, key=lambda w: (w.scope != ALL, w.scope, w.id))


def _end(session: Session, window_id: int, at: datetime, by: str) -> None:
    session.execute(
        update(maintenance_windows)
        .where(maintenance_windows.c.id == window_id)
        .values(ended_at=at, ended_by=by)
    )


def _get(session: Session, window_id: int) -> MaintenanceWindow:
    row = (
        session.execute(select(maintenance_windows).where(maintenance_windows.c.id == window_id))
        .mappings()
        .one()
    )
    return _window(dict(row))


def _blocks(session: Session, scopes: Sequence[str] | None, services: Sequence[str] | None) -> list[Block]:
    query = select(service_blocks)
    conditions = []
    if scopes is not None:
        conditions.append(service_blocks.c.scope.in_(list(scopes)))
    if services is not None:
        conditions.append(service_blocks.c.service.in_(list(services)))
    if conditions:
        query = query.where(*conditions)
    blocks = [_block(dict(row)) for row in session.execute(query).mappings()]
    return sorted(blocks, key=lambda b: (b.scope != ALL, b.scope, b.service))


def _window(row: dict[str, Any]) -> MaintenanceWindow:
    return MaintenanceWindow(
        id=row["id"],
        scope=row["scope"],
        reason=row["reason"],
        started_by=row["started_by"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        ended_at=row["ended_at"],
        ended_by=row["ended_by"],
    )


def _block(row: dict[str, Any]) -> Block:
    return Block(
        scope=row["scope"],
        service=row["service"],
        reason=row["reason"],
        blocked_by=row["blocked_by"],
        blocked_at=row["blocked_at"],
    )
