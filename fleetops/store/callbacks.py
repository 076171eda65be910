"""Task tokens and the task callbacks one server forwards to another.

A task token lives in the memory of the server running its execution. When SendTaskSuccess,
SendTaskFailure or SendTaskHeartbeat reaches another server (several servers behind one
address), that server finds the token's execution here, and leaves the callback in
``task_callbacks`` for the running server, which applies it and deletes it.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select

from fleetops.store.sessions import Sessions
from fleetops.store.tables import task_callbacks, task_tokens


@dataclass(frozen=True)
class TaskCallback:
    """A forwarded callback: ``kind`` is ``success``, ``failure``, ``heartbeat`` or ``stop``."""

    id: int
    token: str
    execution_arn: str
    kind: str
    output: str | None
    error: str | None
    cause: str | None


class TaskCallbackRepository:
    """Reads and writes ``task_tokens`` and ``task_callbacks``. Reach it as ``store.task_callbacks``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def execution_of(self, token: str) -> str | None:
        """The ARN of the execution ``token`` was handed out by, if any."""
        with self._store.engine.connect() as conn:
            found = conn.execute(
                select(task_tokens.c.execution_arn).where(task_tokens.c.token == token)
            ).scalar_one_or_none()
        return None if found is None else str(found)

    def forward(
        self,
        token: str,
        execution_arn: str,
        kind: str,
        *,
        output: str | None = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        """Leave a callback for the server running ``execution_arn``."""
        with self._store.transaction() as session:
            session.execute(
                insert(task_callbacks).values(
                    token=token,
                    execution_arn=execution_arn,
                    kind=kind,
                    output=output,
                    error=error,
                    cause=cause,
                    created_at=datetime.now(UTC),
                )
            )

    def pending(self, execution_arns: Collection[str]) -> builtins.list[TaskCallback]:
        """Callbacks left for these executions, oldest first."""
        if not execution_arns:
            return []
        query = (
            select(task_callbacks)
            .where(task_callbacks.c.execution_arn.in_(list(execution_arns)))
            .order_by(task_callbacks.c.id)
        )
        with self._store.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [TaskCallback(**{key: row[key] for key in TaskCallback.__dataclass_fields__}) for row in rows]

    def done(self, ids: Collection[int]) -> None:
        """Delete applied callbacks."""
        if ids:
            with self._store.transaction() as session:
                session.execute(delete(task_callbacks).where(task_callbacks.c.id.in_(list(ids))))
