"""What the orchestrator's executions did, counted from their history events as they are written.

``EventCounts.observe`` is a ``JournalWriter`` observer: it sees every event this server writes
(each server counts its own executions, so counts summed over servers are the fleet's). Between
two samples it keeps, per environment, the deployments started, finished (with their end time,
their start looked up later) and rolled back, and for every state machine the executions
started, the Task states scheduled and those that failed or timed out. ``drain`` hands them over
and starts again.

Deployments are executions of the built-in ``fleetops-deploy`` state machine, whose execution
names are ``<operation>-<environment>-<time>-<hex>`` (``control.deployments.new_name``); a
rollback is an execution of ``fleetops-rollback`` or a deployment entering its ``RollBack`` state.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from fleetops.engine import HistoryEvent

DEPLOY_MACHINE = "fleetops-deploy"
ROLLBACK_MACHINE = "fleetops-rollback"
ROLLBACK_STATE = "RollBack"
"""The deploy runbook's state that returns what a failed deployment touched."""
_FAILED_ENDS = frozenset({"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"})
_HANDLER_ERRORS = frozenset({"TaskFailed", "TaskTimedOut", "ActivityFailed", "ActivityTimedOut"})
_HANDLER_CALLS = frozenset({"TaskScheduled", "ActivityScheduled"})
_STATE_ENTERED = "StateEntered"


@dataclass(frozen=True)
class Finished:
    """A deployment that ended: its execution, environment, end and whether it succeeded."""

    arn: str
    environment: str
    ended: datetime
    succeeded: bool


@dataclass
class Counts:
    """What happened between two samples (see the module docstring)."""

    executions_started: int = 0
    handler_errors: int = 0
    handler_invocations: int = 0
    """Task states scheduled (each a call of a handler, a Lambda's Invocations)."""
    deployments_started: Counter[str] = field(default_factory=Counter)
    """Environment -> deployments started."""
    rollbacks: Counter[str] = field(default_factory=Counter)
    finished: list[Finished] = field(default_factory=list)


def machine_and_name(arn: str) -> tuple[str, str] | None:
    """``(state machine name, execution name)`` of an execution ARN; None for a Map Run's."""
    parts = arn.split(":")
    if len(parts) != 8 or parts[5] not in ("execution", "express"):
        return None
    return parts[6], parts[7]


def environment_of(execution_name: str) -> str | None:
    """The environment in a built-in runbook's execution name; None when it is not one."""
    parts = execution_name.split("-")
    if len(parts) < 4:
        return None
    return "-".join(parts[1:-2])


class EventCounts:
    """See the module docstring. Thread-safe: observed on the engine's loop, drained elsewhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = Counts()

    def observe(self, arn: str, event: HistoryEvent) -> None:
        """Count ``event`` of the execution ``arn`` (a ``JournalWriter`` observer)."""
        kind = event.type
        if kind in _HANDLER_ERRORS:
            with self._lock:
                self._counts.handler_errors += 1
            return
        if kind in _HANDLER_CALLS:
            with self._lock:
                self._counts.handler_invocations += 1
            return
        ends = kind in _FAILED_ENDS or kind == "ExecutionSucceeded"
        rolls_back = kind.endswith(_STATE_ENTERED) and event.details.get("name") == ROLLBACK_STATE
        if kind != "ExecutionStarted" and not ends and not rolls_back:
            return
        names = machine_and_name(arn)
        if names is None:
            return
        machine, name = names
        environment = environment_of(name) if machine in (DEPLOY_MACHINE, ROLLBACK_MACHINE) else None
        with self._lock:
            counts = self._counts
            if kind == "ExecutionStarted":
                counts.executions_started += 1
                if environment is not None and machine == DEPLOY_MACHINE:
                    counts.deployments_started[environment] += 1
                elif environment is not None:
                    counts.rollbacks[environment] += 1
            elif kind.endswith(_STATE_ENTERED):
                if environment is not None and machine == DEPLOY_MACHINE:
                    counts.rollbacks[environment] += 1
            elif environment is not None and machine == DEPLOY_MACHINE:
                succeeded = kind == "ExecutionSucceeded"
                counts.finished.append(Finished(arn, environment, event.timestamp, succeeded))

    def drain(self) -> Counts:
        """What was counted since the last drain; the counts start again from zero."""
        with self._lock:
            counts, self._counts = self._counts, Counts()
        return counts
