"""``StateMachines``: CreateStateMachine, UpdateStateMachine and CreateActivity over the store.

What the execution service runs is defined here: a state machine is checked (its name, its
definition parsed for its type) before it is stored, and an activity is declared to the
engine's registry so that Task states naming it can run. Idempotent as on AWS: the same name
with the same definition, role and type is the same machine; an activity is created once.
Running executions keep the definition they started with (``fleetops.control.service``).
"""

from __future__ import annotations

import json
from typing import Any

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.control.names import check_arn, check_name
from fleetops.engine import Engine, Registry, parse_definition
from fleetops.store import Store
from fleetops.store.state_machines import (
    ActivityRecord,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
    StateMachineRecord,
)


class StateMachines:
    """The stored state machines and activities of one engine (its region, account and role)."""

    def __init__(
        self, store: Store, engine: Engine, registry: Registry, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        """``clock`` dates what is created or updated (the wall clock: these dates are shown to
        users and compared across servers)."""
        self._store = store
        self._engine = engine
        self._registry = registry
        self._clock = clock

    def declare_stored_activities(self) -> None:
        """Register every stored activity with the engine (at start-up, before resuming)."""
        for activity in self._store.state_machines.list_activities():
            self._registry.register_activity(activity.name)

    def create(
        self, name: str, definition: str, *, role_arn: str | None = None, machine_type: str = "STANDARD"
    ) -> StateMachineRecord:
        """CreateStateMachine: InvalidName, InvalidDefinition, StateMachineAlreadyExists."""
        check_name(name, "state machine")
        parse_definition(definition, machine_type=machine_type)
        now = self._clock.now()
        record = StateMachineRecord(
            arn=self._engine.state_machine_arn(name),
            name=name,
            definition=definition,
            type=machine_type,
            role_arn=role_arn or self._engine.role_arn,
            created_at=now,
            updated_at=now,
            revision=1,
        )
        try:
            return self._store.state_machines.create(record)
        except StateMachineAlreadyExists:
            # Idempotent as on AWS: the same name, definition, role and type is the same machine.
            current = self._store.state_machines.get(record.arn)
            same = (current.definition, current.role_arn, current.type)
            if same != (definition, record.role_arn, machine_type):
                raise
            return current

    def update(
        self, arn: str, *, definition: str | None = None, role_arn: str | None = None
    ) -> StateMachineRecord:
        """UpdateStateMachine: running executions keep the definition they started with."""
        current = self._store.state_machines.get(check_arn(arn, "stateMachine"))
        if definition is not None:
            parse_definition(definition, machine_type=current.type)
        now = self._clock.now()
        return self._store.state_machines.update(arn, definition=definition, role_arn=role_arn, at=now)

    def ensure(self, name: str, definition: str | dict[str, Any]) -> StateMachineRecord:
        """The machine ``name`` with ``definition``, created or updated as needed (for built-ins)."""
        text = definition if isinstance(definition, str) else json.dumps(definition, indent=2)
        arn = self._engine.state_machine_arn(name)
        try:
            current = self._store.state_machines.get(arn)
        except StateMachineDoesNotExist:
            return self.create(name, text)
        if current.definition == text:
            return current
        return self.update(arn, definition=text)

    def create_activity(self, name: str) -> ActivityRecord:
        """CreateActivity (idempotent, as on AWS)."""
        check_name(name, "activity")
        record = ActivityRecord(
            arn=f"arn:aws:states:{self._engine.region}:{self._engine.account_id}:activity:{name}",
            name=name,
            created_at=self._clock.now(),
        )
        self._registry.register_activity(name)
        return self._store.state_machines.create_activity(record)
