"""Scaling policies put through the AWS endpoint (PutScalingPolicy), per service of an
environment: they replace the fleet file's ``scaling`` until deleted, across restarts.

A row with ``target_cpu`` None records a DeletePolicy: the service has no policy, whatever its
fleet file says, until one is put again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from fleetops.store.sessions import Sessions
from fleetops.store.tables import scaling_policies


@dataclass(frozen=True)
class ScalingPolicyRow:
    """The policy of one service (``target_cpu`` None: deleted)."""

    environment: str
    service: str
    name: str
    target_cpu: float | None
    disable_scale_in: bool
    warmup_s: int | None
    updated_at: datetime
    updated_by: str


class ScalingPolicyRepository:
    """Reads and writes ``scaling_policies``. Reach it as ``store.scaling_policies``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def put(self, row: ScalingPolicyRow) -> None:
        """Set the service's policy (or, ``target_cpu`` None, record that it has none)."""
        with self._store.transaction() as session:
            session.execute(
                delete(scaling_policies).where(
                    scaling_policies.c.environment == row.environment,
                    scaling_policies.c.service == row.service,
                )
            )
            session.execute(
                insert(scaling_policies).values(
                    environment=row.environment, service=row.service, name=row.name,
                    target_cpu=row.target_cpu, disable_scale_in=row.disable_scale_in, warmup_s=row.warmup_s,
                    updated_at=row.updated_at, updated_by=row.updated_by,
                )
            )  # fmt: skip

    def get(self, environment: str, service: str) -> ScalingPolicyRow | None:
        """The service's row (None: the fleet file's ``scaling`` applies)."""
        query = select(scaling_policies).where(
            scaling_policies.c.environment == environment, scaling_policies.c.service == service
        )
        with self._store.session() as session:
            found = session.execute(query).mappings().first()
        return None if found is None else ScalingPolicyRow(**dict(found))
