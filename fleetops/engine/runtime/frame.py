"""What a state sees while it runs: its branch (variables, event chain) and its visit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from fleetops.clock import Clock
from fleetops.engine.definition.states import AnyState, StateMachine
from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.history import HistoryEvent
from fleetops.engine.registry import Registry
from fleetops.engine.runtime.callbacks import Callbacks
from fleetops.engine.runtime.context import ExecutionInfo
from fleetops.engine.runtime.failures import in_state
from fleetops.engine.runtime.map_runs import MapRuns
from fleetops.engine.runtime.pacing import Pacer
from fleetops.engine.runtime.recorder import Recorder
from fleetops.engine.runtime.stop import Stop


class StateRunner(Protocol):
    """What a running state uses of the runner running it (``fleetops.engine.runtime.runner``)."""

    info: ExecutionInfo
    recorder: Recorder
    registry: Registry
    clock: Clock
    callbacks: Callbacks
    pacer: Pacer
    map_runs: MapRuns

    @property
    def stopping(self) -> Stop | None:
        """The StopExecution request, once made."""

    async def run_machine(self, machine: StateMachine, value: Any, branch: Branch) -> Any:
        """Run a (sub-)machine from StartAt to a terminal state; its output."""

    def map_run(self, map_run_arn: str) -> StateRunner:
        """A runner whose events go to the Map Run's own journal."""


@dataclass
class Branch:
    """One thread of states: the top level, a Parallel branch or a Map iteration.

    ``variables`` start as a copy of the enclosing scope's ("variables assigned in a Parallel
    branch or Map iteration are not visible outside it"); ``prefix`` makes every state visit's
    scope key unique across the execution; ``last_event_id`` chains ``previousEventId``.
    """

    prefix: str
    variables: dict[str, Any]
    last_event_id: int

    def child(self, prefix: str, last_event_id: int) -> Branch:
        """A nested branch that can read (a copy of) these variables."""
        return Branch(prefix=prefix, variables=dict(self.variables), last_event_id=last_event_id)


@dataclass
class StateRun:
    """One visit of one state."""

    runner: StateRunner
    state: AnyState
    branch: Branch
    key: str
    raw_input: Any
    entered: HistoryEvent
    retry_count: int = 0
    attempt: int = 0
    map_item: tuple[int, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def entered_time(self) -> datetime:
        """When the state was entered (from its event, so a resumed run sees the same time)."""
        return self.entered.timestamp

    def context(
        self, *, task_token: str | None = None, map_item: tuple[int, Any] | None = None
    ) -> dict[str, Any]:
        """The context object for this visit."""
        return self.runner.info.context(
            state_name=self.state.name,
            entered_time=self.entered_time,
            # Only states that can be retried carry $$.State.RetryCount.
            retry_count=self.retry_count if self.state.type in ("Task", "Map", "Parallel") else None,
            task_token=task_token,
            map_item=map_item or self.map_item,
        )

    def emit(
        self,
        event_type: str,
        details: dict[str, Any] | None = None,
        *,
        scope: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> HistoryEvent:
        """Write an event of this visit, chained after the branch's last one."""
        event = self.runner.recorder.emit(
            event_type,
            details or {},
            scope=self.key if scope is None else scope,
            previous=self.branch.last_event_id,
            meta=meta,
        )
        self.branch.last_event_id = event.id
        return event

    def evaluation_failed(self, err: StatesError) -> StatesError:
        """Word ``err`` as raised in this state and, for an evaluation failure (States.Runtime,
        States.QueryEvaluationError) that started here, write the EvaluationFailed event (AWS
        writes it for States.QueryEvaluationError only)."""
        fresh = in_state(err, self.state.name, self.entered.id)
        if fresh is not err and fresh.error == StatesErrorName.QUERY_EVALUATION_ERROR:
            self.emit(
                "EvaluationFailed",
                {"error": str(fresh.error), "cause": fresh.cause or "", "state": self.state.name},
            )
        return fresh

    @property
    def attempt_scope(self) -> str:
        """The scope of events of the current attempt (Task calls, Map/Parallel runs)."""
        return f"{self.key}~{self.attempt}"
