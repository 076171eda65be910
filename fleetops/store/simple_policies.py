"""Simple scaling policies put through the AWS endpoint (PutScalingPolicy with PolicyType
SimpleScaling), several per service of an environment, kept across restarts with the time each
last changed its group's capacity (where the group's cooldown starts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, insert, select, update

from fleetops.store.sessions import Sessions
from fleetops.store.tables import simple_scaling_policies as table


@dataclass(frozen=True)
class SimplePolicyRow:
    """One simple scaling policy of one service."""

    environment: str
    service: str
    name: str
    adjustment_type: str
    scaling_adjustment: int
    min_adjustment_magnitude: int | None
    cooldown_s: int | None
    enabled: bool
    executed_at: datetime | None
    """When it last changed the group's capacity."""
    updated_at: datetime
    updated_by: str


class SimplePolicyRepository:
    """Reads and writes ``simple_scaling_policies``. Reach it as ``store.simple_policies``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def put(self, row: SimplePolicyRow) -> None:
        """Add the policy, or replace the one of that name (keeping when it last ran)."""
        values = asdict(row)
        del values["executed_at"]
        with self._store.transaction() as session:
            changed = session.execute(
                update(table).where(_key(row.environment, row.service, row.name)).values(**values)
            )
            if changed.rowcount == 0:  # type: ignore[attr-defined]
                session.execute(insert(table).values(**values, executed_at=None))

    def executed(self, environment: str, service: str, name: str, at: datetime) -> None:
        """Record that the policy changed its group's capacity at ``at``."""
        with self._store.transaction() as session:
            session.execute(update(table).where(_key(environment, service, name)).values(executed_at=at))

    def delete(self, environment: str, service: str, name: str) -> bool:
        """Remove the policy; whether it existed."""
        with self._store.transaction() as session:
            done = session.execute(delete(table).where(_key(environment, service, name)))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def list(self, environment: str, service: str) -> list[SimplePolicyRow]:
        """The service's policies, by name."""
        query = (
            select(table)
            .where(table.c.environment == environment, table.c.service == service)
            .order_by(table.c.name)
        )
        with self._store.session() as session:
            found = session.execute(query).mappings().all()
        return [SimplePolicyRow(**dict(item)) for item in found]

    def get(self, environment: str, service: str, name: str) -> SimplePolicyRow | None:
        """The service's policy ``name`` (None: it has none of that name)."""
        query = select(table).where(_key(environment, service, name))
        with self._store.session() as session:
            found = session.execute(query).mappings().first()
        return None if found is None else SimplePolicyRow(**dict(found))


def _key(environment: str, service: str, name: str) -> ColumnElement[bool]:
    return and_(table.c.environment == environment, table.c.service == service, table.c.name == name)
