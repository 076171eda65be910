"""What the fleet runtime persists: each service's desired state, and its rollouts.

``service_state`` holds, per (environment, service), the version its instances run when steady,
the release that pinned it and the desired instance count; the runtime reads it at start-up to
bring the fleet back. ``rollouts`` holds every rollout with its last observed status, so a
restarted control plane can describe them and start unfinished ones again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from fleetops.store.sessions import Sessions
from fleetops.store.tables import rollouts, service_state

UNFINISHED = ("Pending", "InProgress", "Baking", "Cancelling", "RollbackInProgress")
"""Rollout statuses that are not terminal."""
CANCELLABLE = ("Pending", "InProgress", "Baking")
"""Rollout statuses a cancel applies to (CancelInstanceRefresh)."""


@dataclass(frozen=True)
class ServiceState:
    """What one service of an environment should run."""

    environment: str
    service: str
    version: str
    release_number: int
    """0 when no release pinned it (the version ``fleetops up`` was given)."""
    desired: int
    updated_at: datetime


@dataclass(frozen=True)
class RolloutRow:
    """One persisted rollout (see ``tables.rollouts``)."""

    rollout_id: str
    environment: str
    service: str
    version: str
    release_number: int
    previous_version: str | None
    previous_release_number: int | None
    preferences: dict[str, Any]
    status: str
    status_reason: str
    percentage_complete: int
    instances_to_update: int
    checkpoint: str | None
    failure: str | None
    started_at: datetime
    ended_at: datetime | None
    updated_at: datetime
    cancel_requested_at: datetime | None = None
    """When a server that does not run the rollout asked to cancel it (``request_cancel``)."""

    @property
    def unfinished(self) -> bool:
        """Whether the rollout had not reached a terminal status when last saved."""
        return self.status in UNFINISHED

    @property
    def cancel_pending(self) -> bool:
        """Whether a cancel was asked and the rollout has not started cancelling yet."""
        return self.cancel_requested_at is not None and self.status in CANCELLABLE


class ServiceStateRepository:
    """Reach it as ``store.service_state``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def all(self, environment: str) -> dict[str, ServiceState]:
        """Every service's state in ``environment``, by service name."""
        with self._store.session() as session:
            rows = session.execute(
                select(service_state).where(service_state.c.environment == environment)
            ).mappings()
            return {row["service"]: ServiceState(**row) for row in rows}

    def get(self, environment: str, service: str) -> ServiceState | None:
        """One service's state, if saved."""
        return self.all(environment).get(service)

    def save(
        self,
        environment: str,
        service: str,
        *,
        version: str | None = None,
        release_number: int | None = None,
        desired: int | None = None,
        now: datetime | None = None,
    ) -> ServiceState:
        """Create or change a service's state; fields left None keep their value (a new row
        needs ``version`` and ``desired``; its release number defaults to 0)."""
        changes: dict[str, Any] = {
            key: value
            for key, value in (("version", version), ("release_number", release_number), ("desired", desired))
            if value is not None
        }
        changes["updated_at"] = now or datetime.now(UTC)
        key = (service_state.c.environment == environment) & (service_state.c.service == service)
        with self._store.transaction() as session:
            found = session.execute(select(service_state.c.service).where(key)).first()
            if found is None:
                if version is None or desired is None:
                    raise ValueError(
                        f"a new service state for {service!r} needs a version and a desired count"
                    )
                row = {"environment": environment, "service": service, "release_number": 0, **changes}
                session.execute(insert(service_state).values(row))
            else:
                session.execute(update(service_state).where(key).values(changes))
            saved = session.execute(select(service_state).where(key)).mappings().one()
        return ServiceState(**saved)


class RolloutRepository:
    """Reach it as ``store.rollouts``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def create(self, row: Mapping[str, Any]) -> tuple[RolloutRow, bool]:
        """Insert a rollout unless one with its id exists; return the stored one and whether it
        was created (a concurrent create of the same id loses and gets the winner's row)."""
        values = {**row, "updated_at": row.get("updated_at") or datetime.now(UTC)}
        try:
            with self._store.transaction() as session:
                existing = (
                    session.execute(select(rollouts).where(rollouts.c.rollout_id == values["rollout_id"]))
                    .mappings()
                    .first()
                )
                if existing is not None:
                    return RolloutRow(**existing), False
                session.execute(insert(rollouts).values(values))
        except IntegrityError:
            found = self.get(str(values["rollout_id"]))
            if found is None:
                raise
            return found, False
        created = self.get(str(values["rollout_id"]))
        assert created is not None
        return created, True

    def update(self, rollout_id: str, **changes: Any) -> None:
        """Save a rollout's progress (status, reason, percentages, failure, end time)."""
        changes["updated_at"] = datetime.now(UTC)
        with self._store.transaction() as session:
            session.execute(update(rollouts).where(rollouts.c.rollout_id == rollout_id).values(changes))

    def request_cancel(self, rollout_id: str, *, now: datetime | None = None) -> RolloutRow | None:
        """Ask the server running the rollout to cancel it: ``cancel_requested_at`` is set if its
        status is cancellable and no cancel was asked yet. The rollout (None if unknown)."""
        with self._store.transaction() as session:
            session.execute(
                update(rollouts)
                .where(
                    rollouts.c.rollout_id == rollout_id,
                    rollouts.c.status.in_(CANCELLABLE),
                    rollouts.c.cancel_requested_at.is_(None),
                )
                .values(cancel_requested_at=now or datetime.now(UTC))
            )
            found = select(rollouts).where(rollouts.c.rollout_id == rollout_id)
            row = session.execute(found).mappings().first()
        return None if row is None else RolloutRow(**row)

    def cancel_requested(self, rollout_id: str) -> bool:
        """Whether a cancel of the rollout was asked (``request_cancel``)."""
        with self._store.session() as session:
            asked = session.execute(
                select(rollouts.c.cancel_requested_at).where(rollouts.c.rollout_id == rollout_id)
            ).scalar()
        return asked is not None

    def get(self, rollout_id: str) -> RolloutRow | None:
        """One rollout, if known."""
        with self._store.session() as session:
            row = (
                session.execute(select(rollouts).where(rollouts.c.rollout_id == rollout_id))
                .mappings()
                .first()
            )
        return None if row is None else RolloutRow(**row)

    def list(self, environment: str, *, unfinished: bool = False, limit: int = 100) -> list[RolloutRow]:
        """Rollouts of ``environment``, newest first; only those not terminal when ``unfinished``."""
        query = select(rollouts).where(rollouts.c.environment == environment)
        if unfinished:
            query = query.where(rollouts.c.status.in_(UNFINISHED))
        with self._store.session() as session:
            rows = session.execute(query.order_by(rollouts.c.started_at.desc()).limit(limit)).mappings()
            return [RolloutRow(**row) for row in rows]
