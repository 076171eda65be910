"""Execution history: Step Functions event types and fields, appended through a journal port.

Every state transition is one :class:`HistoryEvent`, shaped like an event of AWS
``GetExecutionHistory`` (``id``, ``previousEventId``, ``timestamp``, ``type`` and one
``<type>EventDetails`` object). The engine writes them through :class:`ExecutionJournal`; the
in-memory journal lives here, the SQL one in the store. An execution is rebuilt from its events
(see ``runtime/replay.py``), which is what the extra ``scope`` field is for: it names the state
visit (branch path, state name, visit number) an event belongs to, and is not part of the AWS
event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class EventType(StrEnum):
    """The AWS history event types the engine writes."""

    EXECUTION_STARTED = "ExecutionStarted"
    EXECUTION_SUCCEEDED = "ExecutionSucceeded"
    EXECUTION_FAILED = "ExecutionFailed"
    EXECUTION_TIMED_OUT = "ExecutionTimedOut"
    EXECUTION_ABORTED = "ExecutionAborted"
    EXECUTION_REDRIVEN = "ExecutionRedriven"
    PASS_STATE_ENTERED = "PassStateEntered"
    PASS_STATE_EXITED = "PassStateExited"
    TASK_STATE_ENTERED = "TaskStateEntered"
    TASK_STATE_EXITED = "TaskStateExited"
    TASK_STATE_ABORTED = "TaskStateAborted"
    TASK_SCHEDULED = "TaskScheduled"
    TASK_STARTED = "TaskStarted"
    TASK_SUBMITTED = "TaskSubmitted"
    TASK_SUCCEEDED = "TaskSucceeded"
    TASK_FAILED = "TaskFailed"
    TASK_TIMED_OUT = "TaskTimedOut"
    ACTIVITY_SCHEDULED = "ActivityScheduled"
    ACTIVITY_STARTED = "ActivityStarted"
    ACTIVITY_SUCCEEDED = "ActivitySucceeded"
    ACTIVITY_FAILED = "ActivityFailed"
    ACTIVITY_TIMED_OUT = "ActivityTimedOut"
    CHOICE_STATE_ENTERED = "ChoiceStateEntered"
    CHOICE_STATE_EXITED = "ChoiceStateExited"
    WAIT_STATE_ENTERED = "WaitStateEntered"
    WAIT_STATE_EXITED = "WaitStateExited"
    WAIT_STATE_ABORTED = "WaitStateAborted"
    SUCCEED_STATE_ENTERED = "SucceedStateEntered"
    SUCCEED_STATE_EXITED = "SucceedStateExited"
    FAIL_STATE_ENTERED = "FailStateEntered"
    PARALLEL_STATE_ENTERED = "ParallelStateEntered"
    PARALLEL_STATE_EXITED = "ParallelStateExited"
    PARALLEL_STATE_STARTED = "ParallelStateStarted"
    PARALLEL_STATE_SUCCEEDED = "ParallelStateSucceeded"
    PARALLEL_STATE_FAILED = "ParallelStateFailed"
    PARALLEL_STATE_ABORTED = "ParallelStateAborted"
    MAP_STATE_ENTERED = "MapStateEntered"
    MAP_STATE_EXITED = "MapStateExited"
    MAP_STATE_STARTED = "MapStateStarted"
    MAP_STATE_SUCCEEDED = "MapStateSucceeded"
    MAP_STATE_FAILED = "MapStateFailed"
    MAP_STATE_ABORTED = "MapStateAborted"
    MAP_ITERATION_STARTED = "MapIterationStarted"
    MAP_ITERATION_SUCCEEDED = "MapIterationSucceeded"
    MAP_ITERATION_FAILED = "MapIterationFailed"
    MAP_ITERATION_ABORTED = "MapIterationAborted"
    EVALUATION_FAILED = "EvaluationFailed"


def details_key(event_type: str) -> str | None:
    """The name of the details object AWS uses for ``event_type`` (None: the event has none)."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    if event_type in _NO_DETAILS:
        return None
    return event_type[0].lower() + event_type[1:] + "EventDetails"


_NO_DETAILS = frozenset(
    {
        "MapStateSucceeded",
        "MapStateFailed",
        "MapStateAborted",
        "ParallelStateStarted",
        "ParallelStateSucceeded",
        "ParallelStateFailed",
        "ParallelStateAborted",
    }
)


@dataclass(frozen=True)
class HistoryEvent:
    """One event of an execution's history.

    ``details`` holds the fields of the AWS ``<type>EventDetails`` object (JSON values that AWS
    sends as JSON text, such as ``input`` and ``output``, are JSON text here too). ``scope`` is
    the engine's own bookkeeping: the state visit the event belongs to; ``meta`` holds what a
    resumed run needs beyond AWS's fields (the state a StateExited event transitioned to).
    """

    id: int
    previous_event_id: int
    timestamp: datetime
    type: str
    details: Mapping[str, Any] = field(default_factory=dict)
    scope: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_aws(self) -> dict[str, Any]:
        """The event as ``GetExecutionHistory`` returns it (timestamp as a datetime)."""
        event: dict[str, Any] = {
            "id": self.id,
            "previousEventId": self.previous_event_id,
            "timestamp": self.timestamp,
            "type": self.type,
        }
        key = details_key(self.type)
        if key is not None:
            event[key] = dict(self.details)
        return event


class ExecutionJournal(Protocol):
    """Where an execution's events go, in order; the durable implementation is in the store."""

    def append(self, event: HistoryEvent) -> None:
        """Append one event; ids are consecutive from 1."""
        ...

    def events(self) -> Sequence[HistoryEvent]:
        """Every event appended so far, in order."""
        ...


class InMemoryJournal:
    """A journal kept in a list: for tests and for executions that need not survive a restart."""

    def __init__(self, events: Sequence[HistoryEvent] = ()) -> None:
        self._events: list[HistoryEvent] = list(events)

    def append(self, event: HistoryEvent) -> None:
        """Append ``event``, refusing an id out of sequence (it would corrupt resume)."""
        expected = len(self._events) + 1
        if event.id != expected:
            raise ValueError(f"event id {event.id} appended where {expected} was expected")
        self._events.append(event)

    def events(self) -> Sequence[HistoryEvent]:
        """The events, oldest first."""
        return tuple(self._events)
