"""The engine's public API, pinned: other layers (store, server, runbooks) build on these names."""

from __future__ import annotations

import fleetops.engine


def test_public_names() -> None:
    assert sorted(fleetops.engine.__all__) == [
        "ActivityTask",
        "DefinitionError",
        "Engine",
        "EventType",
        "ExecutionAlreadyExists",
        "ExecutionHandle",
        "ExecutionJournal",
        "ExecutionResult",
        "ExecutionStatus",
        "HistoryEvent",
        "InMemoryJournal",
        "InvalidDefinition",
        "Registry",
        "StateMachine",
        "StatesError",
        "StatesErrorName",
        "TaskContext",
        "TaskDoesNotExist",
        "TaskFailure",
        "UnknownResource",
        "parse_definition",
        "redriven_event",
    ]
