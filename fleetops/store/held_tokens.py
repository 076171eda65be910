"""Task tokens the control plane holds for Step Functions tasks that wait for a person.

An approval gate of an ``aws-stepfunctions`` environment is an Activity task that stays open
after ``fleetops worker`` ran its handler: Step Functions waits for SendTaskSuccess or
SendTaskFailure with the activity's task token, which only the worker saw. The worker hands the
token to the control plane (``POST /tasks/run``), which keeps it here, sealed by the caller,
until ``fleetops approve`` or ``reject`` answers with it. One row per execution: a retried gate
(another worker, another token) replaces the one before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from fleetops.store.database import StoreKind
from fleetops.store.sessions import Sessions
from fleetops.store.tables import held_task_tokens


@dataclass(frozen=True)
class HeldToken:
    """A held task token, sealed: which execution and state wait on it, since when."""

    execution_arn: str
    state: str
    sealed_token: bytes
    held_at: datetime


class HeldTokenRepository:
    """Reads and writes ``held_task_tokens``. Reach it as ``store.held_tokens``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def hold(
        self, execution_arn: str, state: str, sealed_token: bytes, *, now: datetime | None = None
    ) -> None:
        """Keep ``sealed_token`` for ``execution_arn`` (replacing one held before)."""
        row = {
            "execution_arn": execution_arn,
            "state": state,
            "sealed_token": sealed_token,
            "held_at": now or datetime.now(UTC),
        }
        dialect = postgresql if self._store.kind is StoreKind.POSTGRESQL else sqlite
        statement = dialect.insert(held_task_tokens).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=[held_task_tokens.c.execution_arn],
            set_={k: statement.excluded[k] for k in ("state", "sealed_token", "held_at")},
        )
        with self._store.transaction() as session:
            session.execute(statement)

    def get(self, execution_arn: str) -> HeldToken | None:
        """The token held for ``execution_arn``, if any."""
        with self._store.session() as session:
            row = (
                session.execute(
                    select(held_task_tokens).where(held_task_tokens.c.execution_arn == execution_arn)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return HeldToken(row["execution_arn"], row["state"], bytes(row["sealed_token"]), row["held_at"])

    def release(self, execution_arn: str, *, sealed_token: bytes | None = None) -> None:
        """Forget the token of ``execution_arn`` (only if it is still ``sealed_token``, when
        given: a gate retried meanwhile keeps its new one)."""
        where = held_task_tokens.c.execution_arn == execution_arn
        if sealed_token is not None:
            where = where & (held_task_tokens.c.sealed_token == sealed_token)
        with self._store.transaction() as session:
            session.execute(delete(held_task_tokens).where(where))
