"""State machines and activities: the Step Functions resources an execution is started from.

Errors carry ``aws_code``, the ``__type`` the Step Functions protocol answers with.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from fleetops.errors import BadInput
from fleetops.store.sessions import Sessions
from fleetops.store.tables import activities, state_machines


class StateMachineAlreadyExists(BadInput):
    """A state machine of that name exists."""

    aws_code = "StateMachineAlreadyExists"


class StateMachineDoesNotExist(BadInput):
    """No state machine has that ARN."""

    aws_code = "StateMachineDoesNotExist"


class ActivityAlreadyExists(BadInput):
    """An activity of that name exists (AWS answers CreateActivity idempotently; we do too)."""

    aws_code = "ActivityAlreadyExists"


class ActivityDoesNotExist(BadInput):
    """No activity has that ARN."""

    aws_code = "ActivityDoesNotExist"


@dataclass(frozen=True)
class StateMachineRecord:
    """One state machine as stored."""

    arn: str
    name: str
    definition: str
    type: str
    role_arn: str
    created_at: datetime
    updated_at: datetime
    revision: int


@dataclass(frozen=True)
class ActivityRecord:
    """One activity."""

    arn: str
    name: str
    created_at: datetime


class StateMachineRepository:
    """Reads and writes ``state_machines`` and ``activities``. Reach it as ``store.state_machines``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def create(self, record: StateMachineRecord) -> StateMachineRecord:
        """Store a new machine; raises ``StateMachineAlreadyExists`` when the name is taken."""
        try:
            with self._store.transaction() as session:
                session.execute(insert(state_machines).values(_machine_row(record)))
        except IntegrityError as err:
            raise StateMachineAlreadyExists(f"State Machine Already Exists: '{record.arn}'") from err
        return record

    def get(self, arn: str) -> StateMachineRecord:
        """The machine with ``arn``; raises ``StateMachineDoesNotExist``."""
        # A Core connection: read for every StartExecution, the ORM adds nothing.
        with self._store.engine.connect() as conn:
            row = conn.execute(select(state_machines).where(state_machines.c.arn == arn)).mappings().first()
        if row is None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        return StateMachineRecord(**dict(row))

    def list(self, *, limit: int, offset: int = 0) -> builtins.list[StateMachineRecord]:
        """Machines by name, ``limit`` of them from ``offset``."""
        query = select(state_machines).order_by(state_machines.c.name).limit(limit).offset(offset)
        with self._store.session() as session:
            rows = session.execute(query).mappings().all()
        return [StateMachineRecord(**dict(row)) for row in rows]

    def update(
        self, arn: str, *, definition: str | None, role_arn: str | None, at: datetime
    ) -> StateMachineRecord:
        """Replace the definition and/or role; the revision goes up by one."""
        changes: dict[str, Any] = {"updated_at": at, "revision": state_machines.c.revision + 1}
        if definition is not None:
            changes["definition"] = definition
        if role_arn is not None:
            changes["role_arn"] = role_arn
        with self._store.transaction() as session:
            done = _rows(
                session.execute(update(state_machines).where(state_machines.c.arn == arn).values(changes))
            )
        if done.rowcount == 0:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        return self.get(arn)

    def delete(self, arn: str) -> bool:
        """Delete the machine (its executions keep the definition they started with)."""
        with self._store.transaction() as session:
            done = _rows(session.execute(delete(state_machines).where(state_machines.c.arn == arn)))
        return bool(done.rowcount)

    def create_activity(self, record: ActivityRecord) -> ActivityRecord:
        """Store an activity; the existing one when the name is taken (as AWS does)."""
        try:
            with self._store.transaction() as session:
                session.execute(
                    insert(activities).values(arn=record.arn, name=record.name, created_at=record.created_at)
                )
        except IntegrityError:
            return self.get_activity(record.arn)
        return record

    def get_activity(self, arn: str) -> ActivityRecord:
        """The activity with ``arn``; raises ``ActivityDoesNotExist``."""
        with self._store.session() as session:
            row = session.execute(select(activities).where(activities.c.arn == arn)).mappings().first()
        if row is None:
            raise ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
        return ActivityRecord(**dict(row))

    def list_activities(self, *, limit: int = 1000, offset: int = 0) -> builtins.list[ActivityRecord]:
        """Activities by name."""
        query = select(activities).order_by(activities.c.name).limit(limit).offset(offset)
        with self._store.session() as session:
            rows = session.execute(query).mappings().all()
        return [ActivityRecord(**dict(row)) for row in rows]

    def delete_activity(self, arn: str) -> bool:
        """Delete the activity."""
        with self._store.transaction() as session:
            done = _rows(session.execute(delete(activities).where(activities.c.arn == arn)))
        return bool(done.rowcount)


def _machine_row(record: StateMachineRecord) -> dict[str, Any]:
    return {
        "arn": record.arn,
        "name": record.name,
        "definition": record.definition,
        "type": record.type,
        "role_arn": record.role_arn,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "revision": record.revision,
    }


def _rows(result: object) -> CursorResult[Any]:
    """An INSERT/UPDATE/DELETE result, typed so its ``rowcount`` can be read."""
    return cast(CursorResult[Any], result)
