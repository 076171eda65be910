"""The release repository: immutable, numbered records of what each deployment pinned per service.

A release is (environment, service, number, version, config, secret versions), numbered 1, 2, 3…
per (environment, service). What it pinned never changes (the database refuses it, see
migration ``0010``); only its status moves: ``pinned`` -> ``verified`` | ``failed`` |
``rolled_back``, and ``verified`` -> ``rolled_back`` (a later wave failed and the deployment
was undone). Rollback targets the last *verified* release.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from fleetops.errors import FleetopsError
from fleetops.store.advisory import advisory_key
from fleetops.store.database import StoreKind
from fleetops.store.sessions import Sessions
from fleetops.store.stops import refuse_if_stopped
from fleetops.store.tables import releases

MAX_LIMIT = 1000


class ReleaseStatus(StrEnum):
    """Where a release is in its life."""

    PINNED = "pinned"
    VERIFIED = "verified"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


_ALLOWED_FROM: dict[ReleaseStatus, frozenset[ReleaseStatus]] = {
    ReleaseStatus.VERIFIED: frozenset({ReleaseStatus.PINNED}),
    ReleaseStatus.FAILED: frozenset({ReleaseStatus.PINNED}),
    ReleaseStatus.ROLLED_BACK: frozenset({ReleaseStatus.PINNED, ReleaseStatus.VERIFIED}),
}

_FENCED = frozenset({ReleaseStatus.VERIFIED, ReleaseStatus.FAILED})
"""The moves a stopped execution may no longer make (``store.stopped``); rolled back it may."""


class ReleaseConflict(FleetopsError):
    """A pin or status change contradicts what the store already holds."""


@dataclass(frozen=True)
class Release:
    """One pinned release of a service in an environment."""

    environment: str
    service: str
    number: int
    version: str
    config: dict[str, Any]
    secret_versions: dict[str, str]
    execution_id: str
    status: ReleaseStatus
    created_at: datetime
    created_by: str
    verified_at: datetime | None
    finished_at: datetime | None
    provider_target: str | None = None
    """What it became on its provider (aws: launch template version number, task definition ARN)."""

    @property
    def name(self) -> str:
        """``orders#7``: how messages refer to a release."""
        return f"{self.service}#{self.number}"

    def to_json(self) -> dict[str, Any]:
        """The release as JSON-ready values (the API and ``--output json`` shape)."""
        return {
            "environment": self.environment,
            "service": self.service,
            "number": self.number,
            "version": self.version,
            "config": self.config,
            "secret_versions": self.secret_versions,
            "execution_id": self.execution_id,
            "status": str(self.status),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "verified_at": None if self.verified_at is None else self.verified_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "provider_target": self.provider_target,
        }


class ReleaseRepository:
    """Pins releases and moves their status. Reach it as ``store.releases``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def pin(
        self,
        *,
        environment: str,
        service: str,
        version: str,
        config: Mapping[str, Any],
        secret_versions: Mapping[str, str],
        execution_id: str,
        created_by: str,
        now: datetime | None = None,
    ) -> Release:
        """Pin the next release of ``service`` in ``environment`` and return it.

        Idempotent per (environment, service, execution): a retried call returns the release the
        first call pinned. Raises ``ReleaseConflict`` when that release pinned something else
        (a handler bug: a retry must ask for the same thing), ``ExecutionStopped`` when the
        execution was stopped (``store.stopped``).
        """
        row = {
            "environment": environment,
            "service": service,
            "version": version,
            "config": dict(config),
            "secret_versions": dict(secret_versions),
            "execution_id": execution_id,
            "status": str(ReleaseStatus.PINNED),
            "created_at": now or datetime.now(UTC),
            "created_by": created_by,
        }
        with self._store.transaction() as session:
            refuse_if_stopped(self._store, session, execution_id)
            if self._store.kind is StoreKind.POSTGRESQL:
                # Pins of one service queue here, so each sees the number the previous one took
                # (SQLite's BEGIN IMMEDIATE already serialises every writer).
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": advisory_key("releases", environment, service)},
                )
            existing = _by_execution(session, environment, service, execution_id)
            if existing is not None:
                _same_pin(existing, row)
                return existing
            number = (
                session.execute(
                    select(func.coalesce(func.max(releases.c.number), 0)).where(
                        releases.c.environment == environment, releases.c.service == service
                    )
                ).scalar_one()
                + 1
            )
            session.execute(insert(releases).values({**row, "number": number}))
            pinned = _by_execution(session, environment, service, execution_id)
        assert pinned is not None
        return pinned

    def get(self, environment: str, service: str, number: int) -> Release | None:
        """Release ``number`` of ``service`` in ``environment``, if any."""
        with self._store.session() as session:
            row = (
                session.execute(
                    select(releases).where(
                        releases.c.environment == environment,
                        releases.c.service == service,
                        releases.c.number == number,
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _release(dict(row))

    def set_provider_target(self, environment: str, service: str, number: int, target: str) -> None:
        """Record what release ``number`` became on its provider (``ReleaseConflict``: no such
        release)."""
        with self._store.transaction() as session:
            done = session.execute(
                update(releases)
                .where(
                    releases.c.environment == environment,
                    releases.c.service == service,
                    releases.c.number == number,
                )
                .values(provider_target=target)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise ReleaseConflict(f"no release {service}#{number} in environment {environment!r}")

    def mark_verified(
        self, environment: str, service: str, number: int, *, now: datetime | None = None
    ) -> Release:
        """Record that the release's rollout and post-deploy checks passed (``ExecutionStopped``
        when its execution was stopped)."""
        return self._move(environment, service, number, ReleaseStatus.VERIFIED, now)

    def mark_failed(
        self, environment: str, service: str, number: int, *, now: datetime | None = None
    ) -> Release:
        """Record that the release's rollout or checks failed (``ExecutionStopped`` when its
        execution was stopped)."""
        return self._move(environment, service, number, ReleaseStatus.FAILED, now)

    def mark_rolled_back(
        self, environment: str, service: str, number: int, *, now: datetime | None = None
    ) -> Release:
        """Record that the deployment was undone: the service went back to its previous release."""
        return self._move(environment, service, number, ReleaseStatus.ROLLED_BACK, now)

    def last_verified(self, environment: str, service: str, *, before: int | None = None) -> Release | None:
        """The newest verified release of ``service`` in ``environment`` (numbered below ``before``)."""
        query = select(releases).where(
            releases.c.environment == environment,
            releases.c.service == service,
            releases.c.status == str(ReleaseStatus.VERIFIED),
        )
        if before is not None:
            query = query.where(releases.c.number < before)
        with self._store.session() as session:
            row = session.execute(query.order_by(releases.c.number.desc()).limit(1)).mappings().first()
        return None if row is None else _release(dict(row))

    def list(
        self,
        *,
        environment: str | None = None,
        service: str | None = None,
        status: ReleaseStatus | None = None,
        execution_id: str | None = None,
        limit: int = 100,
    ) -> list[Release]:
        """Releases matching every given filter, newest first (by creation, then number)."""
        if limit < 0:
            raise ValueError(f"limit must be >= 0 (got {limit})")
        query = select(releases)
        if environment is not None:
            query = query.where(releases.c.environment == environment)
        if service is not None:
            query = query.where(releases.c.service == service)
        if status is not None:
            query = query.where(releases.c.status == str(ReleaseStatus(status)))
        if execution_id is not None:
            query = query.where(releases.c.execution_id == execution_id)
        query = query.order_by(releases.c.created_at.desc(), releases.c.id.desc()).limit(
            min(limit, MAX_LIMIT)
        )
        with self._store.session() as session:
            return [_release(dict(row)) for row in session.execute(query).mappings()]

    def _move(
        self, environment: str, service: str, number: int, status: ReleaseStatus, now: datetime | None
    ) -> Release:
        at = now or datetime.now(UTC)
        where = (
            releases.c.environment == environment,
            releases.c.service == service,
            releases.c.number == number,
        )
        with self._store.transaction() as session:
            row = session.execute(select(releases).where(*where)).mappings().first()
            if row is None:
                raise ReleaseConflict(f"no release {service}#{number} in environment {environment!r}")
            current = _release(dict(row))
            if status in _FENCED:
                # The stop fence, as for pin and lock: a stopped execution's handler still
                # running in its thread (finalize) must not record its releases verified/failed.
                refuse_if_stopped(self._store, session, current.execution_id)
            if current.status is status:
                return current  # handlers run at least once: a repeated mark is a no-op
            if current.status not in _ALLOWED_FROM[status]:
                raise ReleaseConflict(
                    f"release {current.name} in {environment!r} is {current.status}; it cannot become "
                    f"{status} (allowed from: {', '.join(sorted(_ALLOWED_FROM[status]))})"
                )
            values: dict[str, Any] = {"status": str(status), "finished_at": at}
            if status is ReleaseStatus.VERIFIED:
                values["verified_at"] = at
            session.execute(update(releases).where(*where).values(values))
            moved = session.execute(select(releases).where(*where)).mappings().one()
        return _release(dict(moved))


def _by_execution(session: Session, environment: str, service: str, execution_id: str) -> Release | None:
    row = (
        session.execute(
            select(releases).where(
                releases.c.environment == environment,
                releases.c.service == service,
                releases.c.execution_id == execution_id,
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else _release(dict(row))


def _same_pin(existing: Release, row: Mapping[str, Any]) -> None:
    differing = [
        field for field in ("version", "config", "secret_versions") if getattr(existing, field) != row[field]
    ]
    if differing:
        raise ReleaseConflict(
            f"execution {existing.execution_id!r} already pinned {existing.name} in "
            f"{existing.environment!r} with a different {' and '.join(differing)}: a retried pin must ask "
            "for the same release"
        )


def _release(row: dict[str, Any]) -> Release:
    return Release(
        environment=row["environment"],
        service=row["service"],
        number=row["number"],
        version=row["version"],
        config=row["config"],
        secret_versions=row["secret_versions"],
        execution_id=row["execution_id"],
        status=ReleaseStatus(row["status"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        verified_at=row["verified_at"],
        finished_at=row["finished_at"],
        provider_target=row.get("provider_target"),
    )
