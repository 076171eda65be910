"""The interpreter: walks a (sub-)machine state by state, with Retry and Catch around each.

Values flow by return: a state's behaviour returns an :class:`Outcome` (its output, the next
state, the variables it assigns); nothing is pushed on a shared stack. Which behaviour runs a
state is given (``behaviours``: ``fleetops.engine.states.behaviour_for``), so the states, which
run through this runner, are not imported by it.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from fleetops.clock import Clock
from fleetops.engine.definition.common import MISSING, Catcher
from fleetops.engine.definition.states import AnyState, FailState, MapState, ParallelState, StateMachine
from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.expressions import set_path
from fleetops.engine.history import ExecutionJournal, InMemoryJournal
from fleetops.engine.registry import Registry
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.callbacks import Callbacks
from fleetops.engine.runtime.context import ExecutionInfo
from fleetops.engine.runtime.failures import to_json
from fleetops.engine.runtime.frame import Branch, StateRun
from fleetops.engine.runtime.map_runs import MapRuns
from fleetops.engine.runtime.outcome import Behaviour, Outcome
from fleetops.engine.runtime.pacing import Pacer
from fleetops.engine.runtime.recorder import Recorder
from fleetops.engine.runtime.retry import error_matches, retry_delay
from fleetops.engine.runtime.stop import Stop

# States that can be in progress when an execution is stopped, with their *StateAborted event.
_ABORTABLE = frozenset({"Task", "Wait", "Map", "Parallel"})

# "The maximum size of state input or output ... is 256 KiB" (Step Functions quotas).
PAYLOAD_LIMIT_BYTES = 256 * 1024


class Runner:
    """Everything one execution's states share: its identity, journal, clock and resources."""

    def __init__(
        self,
        *,
        info: ExecutionInfo,
        recorder: Recorder,
        registry: Registry,
        clock: Clock,
        callbacks: Callbacks,
        behaviours: Callable[[AnyState], Behaviour],
        rng: random.Random | None = None,
        journal_factory: Callable[[str], ExecutionJournal] | None = None,
        pacer: Pacer | None = None,
        map_runs: MapRuns | None = None,
    ) -> None:
        self.info = info
        self.recorder = recorder
        self.registry = registry
        self.clock = clock
        self.callbacks = callbacks
        self._behaviours = behaviours
        self.rng = rng or random.Random()
        self.journal_factory = journal_factory
        self.pacer = pacer or Pacer()
        self.map_runs = map_runs or MapRuns()
        """The engine's DISTRIBUTED Map runs in progress (UpdateMapRun changes them)."""
        self._stop: list[Stop] = []  # shared with Map Run runners: one StopExecution stops all
        self.work: asyncio.Future[Any] | None = None
        recorder.on_full = self._history_full

    def _history_full(self) -> None:
        # The execution has failed (its history is full): end the run as a stop would.
        if self.work is not None:
            self.work.cancel()

    def map_run(self, map_run_arn: str) -> Runner:
        """A runner whose events go to the Map Run's own journal (a DISTRIBUTED Map's iterations)."""
        journal = self.journal_factory(map_run_arn) if self.journal_factory else InMemoryJournal()
        child = Runner(
            info=self.info,
            recorder=Recorder(journal, self.clock),
            registry=self.registry,
            clock=self.clock,
            callbacks=self.callbacks,
            behaviours=self._behaviours,
            rng=self.rng,
            journal_factory=self.journal_factory,
            pacer=self.pacer,
            map_runs=self.map_runs,
        )
        child._stop = self._stop
        return child

    @property
    def stopping(self) -> Stop | None:
        """The StopExecution request, once made."""
        return self._stop[0] if self._stop else None

    def stop(self, request: Stop) -> None:
        """Record a StopExecution request (the first one wins)."""
        if not self._stop:
            self._stop.append(request)

    async def run_machine(self, machine: StateMachine, value: Any, branch: Branch) -> Any:
        """Run ``machine`` from StartAt to a terminal state; return its output or raise."""
        name = machine.start_at
        visits: Counter[str] = Counter()
        while True:
            # A state that never waits (Pass, Choice) would otherwise keep the loop to itself.
            await self.pacer.transition(self.info.execution_arn)
            if self.recorder.full is not None:
                raise asyncio.CancelledError  # the cancel from _history_full may not have landed yet
            state = machine.states[name]
            visits[name] += 1
            outcome = await self.run_state(state, value, branch, f"{branch.prefix}{name}#{visits[name]}")
            if outcome.next is None:
                return outcome.output
            name, value = outcome.next, outcome.output

    async def run_state(self, state: AnyState, value: Any, branch: Branch, key: str) -> Outcome:
        """Enter ``state``, run it (retrying and catching), exit it."""
        exited_type = f"{state.type}StateExited"
        recorded_exit = self.recorder.recorded(key, exited_type)
        entered = self.recorder.emit(
            f"{state.type}StateEntered",
            {"name": state.name, "input": to_json(value), "inputDetails": {"truncated": False}},
            scope=key,
            previous=branch.last_event_id,
        )
        branch.last_event_id = entered.id
        run = StateRun(runner=self, state=state, branch=branch, key=key, raw_input=value, entered=entered)
        if recorded_exit is not None:
            # Resumed: this state finished before the restart. Reuse what it produced.
            outcome = Outcome(
                output=json.loads(recorded_exit.details["output"]),
                next=recorded_exit.meta.get("next"),
                assigned={
                    k: json.loads(v) for k, v in recorded_exit.details.get("assignedVariables", {}).items()
                },
            )
        else:
            try:
                outcome = await self._attempts(run, self._behaviours(state))
            except asyncio.CancelledError:
                if self.stopping is not None and state.type in _ABORTABLE:
                    run.emit(f"{state.type}StateAborted")
                raise
        if not isinstance(state, FailState):
            self._check_size(state.name, outcome.output)
        details: dict[str, Any] = {
            "name": state.name,
            "output": to_json(outcome.output),
            "outputDetails": {"truncated": False},
        }
        if outcome.assigned:
            details["assignedVariables"] = {k: to_json(v) for k, v in outcome.assigned.items()}
            details["assignedVariablesDetails"] = {"truncated": False}
        run.emit(exited_type, details, meta={"next": outcome.next})
        if outcome.assigned:
            branch.variables.update(outcome.assigned)
        return outcome

    async def _attempts(self, run: StateRun, behaviour: Behaviour) -> Outcome:
        retriers = getattr(run.state, "retry", ())
        catchers: tuple[Catcher, ...] = getattr(run.state, "catch", ())
        used = [0] * len(retriers)
        while True:
            try:
                return await behaviour(run)
            except StatesError as raw:
                err = run.evaluation_failed(raw)
            index = next(
                (i for i, r in enumerate(retriers) if error_matches(r.error_equals, err.error)), None
            )
            if index is not None and used[index] < retriers[index].max_attempts:
                delay = retry_delay(retriers[index], used[index], self.rng)
                used[index] += 1
                if not self.recorder.has_scope(f"{run.key}~{run.attempt + 1}"):
                    await self.clock.sleep(delay)
                run.attempt += 1
                run.retry_count += 1
                continue
            if isinstance(run.state, MapState | ParallelState) and err.error != StatesErrorName.RUNTIME:
                run.emit(f"{run.state.type}StateFailed")
            for catcher in catchers:
                if error_matches(catcher.error_equals, err.error):
                    return self._caught(run, catcher, err)
            raise err

    def _caught(self, run: StateRun, catcher: Catcher, err: StatesError) -> Outcome:
        error_output: dict[str, Any] = {"Error": err.error}
        if err.cause is not None:
            error_output["Cause"] = err.cause
        if run.state.jsonata:
            binding = dataflow.states_binding(run, run.raw_input, error_output=error_output)
            output, assigned = dataflow.finish_jsonata(
                run, binding, error_output, output=catcher.output, assign=catcher.assign
            )
            return Outcome(output, catcher.next, assigned)
        assigned = None
        if catcher.assign is not MISSING:
            assigned = dict(dataflow.payload(run, catcher.assign, error_output, "Assign"))
        if catcher.result_path is None:
            output = run.raw_input
        elif catcher.result_path == "$":
            output = error_output
        else:
            output = set_path(run.raw_input, catcher.result_path, error_output)
        return Outcome(output, catcher.next, assigned)

    @staticmethod
    def _check_size(state_name: str, output: Any) -> None:
        if len(to_json(output).encode()) > PAYLOAD_LIMIT_BYTES:
            raise StatesError(
                StatesErrorName.DATA_LIMIT_EXCEEDED,
                f"The state/task '{state_name}' returned a result with a size exceeding the maximum "
                "number of "
                "bytes service limit.",
            )
