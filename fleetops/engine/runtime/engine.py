"""The public entry point: start, resume and stop executions; task-token and activity callbacks."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from fleetops.clock import Clock, SystemClock
from fleetops.engine.definition.parser import parse_definition
from fleetops.engine.definition.states import MapState, ParallelState, StateMachine, TaskState
from fleetops.engine.errors import ExecutionAlreadyExists
from fleetops.engine.history import ExecutionJournal, HistoryEvent, InMemoryJournal
from fleetops.engine.registry import Registry, UnknownResource
from fleetops.engine.runtime.callbacks import ActivityTask, Callbacks
from fleetops.engine.runtime.context import ExecutionInfo
from fleetops.engine.runtime.execution import ExecutionResult, ExecutionStatus, result_of, run_execution
from fleetops.engine.runtime.failures import to_json
from fleetops.engine.runtime.map_runs import MapRuns
from fleetops.engine.runtime.pacing import Pacer
from fleetops.engine.runtime.recorder import HISTORY_LIMIT, Recorder
from fleetops.engine.runtime.redrive import REDRIVEN, redrive_count
from fleetops.engine.runtime.runner import Runner
from fleetops.engine.runtime.stop import Stop
from fleetops.engine.states import behaviour_for

JournalFactory = Callable[[str], ExecutionJournal]


class ExecutionHandle:
    """A running (or finished) execution."""

    def __init__(self, runner: Runner, task: asyncio.Task[ExecutionResult]) -> None:
        self._runner = runner
        self._task = task

    @property
    def execution_arn(self) -> str:
        """``arn:aws:states:<region>:<account>:execution:<machine>:<name>``."""
        return self._runner.info.execution_arn

    @property
    def name(self) -> str:
        """The execution name."""
        return self._runner.info.name

    @property
    def input(self) -> Any:
        """The execution input."""
        return self._runner.info.input

    @property
    def journal(self) -> ExecutionJournal:
        """Where this execution's events are."""
        return self._runner.recorder.journal

    def history(self) -> Sequence[HistoryEvent]:
        """The events so far."""
        return self.journal.events()

    @property
    def status(self) -> ExecutionStatus:
        """RUNNING until the terminal event is written."""
        events = self.journal.events()
        done = result_of(events[-1]) if events else None
        return done.status if done else ExecutionStatus.RUNNING

    def describe(self) -> dict[str, Any]:
        """The execution as ``DescribeExecution`` returns it (dates as datetimes)."""
        events = self.journal.events()
        info = self._runner.info
        described: dict[str, Any] = {
            "executionArn": info.execution_arn,
            "stateMachineArn": info.state_machine_arn,
            "name": info.name,
            "status": self.status.value,
            "startDate": info.start_time,
            "input": to_json(info.input),
            "inputDetails": {"included": True},
            "redriveCount": info.redrive_count,
        }
        done = result_of(events[-1]) if events else None
        if done is not None:
            described["stopDate"] = events[-1].timestamp
            if done.status is ExecutionStatus.SUCCEEDED:
                described["output"] = to_json(done.output)
                described["outputDetails"] = {"included": True}
            for key, value in (("error", done.error), ("cause", done.cause)):
                if value is not None:
                    described[key] = value
        return described

    async def result(self) -> ExecutionResult:
        """Wait for the end of the execution."""
        return await asyncio.shield(self._task)

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        """StopExecution: the execution ends ABORTED."""
        if not self._task.done() and self._runner.stopping is None:
            self._runner.stop(Stop(error, cause))
            if self._runner.work is not None:
                self._runner.work.cancel()

    def abandon(self) -> None:
        """Drop the run without writing anything, as if the process died (for resume tests)."""
        self._task.cancel()


class Engine:
    """Runs ASL state machines.

    ``registry`` maps Task resources to handlers; ``clock`` drives Wait, Retry and timeouts;
    ``journal_factory`` makes the journal of a new execution from its ARN (in memory by
    default; the store provides a durable one); ``history_limit`` is AWS's 25,000 events per
    execution; ``pacer`` shares the event loop between executions (see ``runtime/pacing.py``).
    """

    def __init__(
        self,
        registry: Registry,
        *,
        clock: Clock | None = None,
        journal_factory: JournalFactory | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        role_arn: str | None = None,
        rng: random.Random | None = None,
        history_limit: int = HISTORY_LIMIT,
        pacer: Pacer | None = None,
    ) -> None:
        self.registry = registry
        self.history_limit = history_limit
        self.pacer = pacer or Pacer()
        self.clock = clock or SystemClock()
        self._journals: dict[str, InMemoryJournal] = {}
        self._journal_factory = journal_factory or self._memory_journal
        self.region = region
        self.account_id = account_id
        self.role_arn = role_arn or f"arn:aws:iam::{account_id}:role/fleetops-engine"
        self._rng = rng
        self._callbacks = Callbacks()
        self._executions: dict[str, ExecutionHandle] = {}
        self.map_runs = MapRuns()
        """DISTRIBUTED Map runs in progress here, by Map Run ARN (UpdateMapRun changes them)."""

    def _memory_journal(self, arn: str) -> ExecutionJournal:
        """The default journal factory: one in-memory journal per ARN, kept while the engine lives."""
        return self._journals.setdefault(arn, InMemoryJournal())

    def state_machine_arn(self, name: str) -> str:
        """``arn:aws:states:<region>:<account>:stateMachine:<name>``."""
        return f"arn:aws:states:{self.region}:{self.account_id}:stateMachine:{name}"

    def execution_arn(self, machine_name: str, name: str) -> str:
        """``arn:aws:states:<region>:<account>:execution:<machine>:<name>``."""
        return f"arn:aws:states:{self.region}:{self.account_id}:execution:{machine_name}:{name}"

    def start_execution(
        self,
        definition: StateMachine | Mapping[str, Any] | str,
        input: Any = None,
        *,
        name: str | None = None,
        state_machine_name: str = "StateMachine",
        machine_type: str = "STANDARD",
    ) -> ExecutionHandle:
        """Validate, check every resource is runnable here, and start; must run inside a loop."""
        machine = (
            definition
            if isinstance(definition, StateMachine)
            else parse_definition(definition, machine_type=machine_type)
        )
        self.check_resources(machine)
        name = name or str(uuid.uuid4())
        arn = self.execution_arn(state_machine_name, name)
        value = {} if input is None else json.loads(to_json(input))
        if arn in self._executions:
            # StartExecution is idempotent for the same name and input, refused otherwise.
            existing = self._executions[arn]
            if existing.input == value:
                return existing
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
        journal = self._journal_factory(arn)
        info = ExecutionInfo(
            execution_arn=arn,
            name=name,
            state_machine_arn=self.state_machine_arn(state_machine_name),
            state_machine_name=state_machine_name,
            input=value,
            start_time=self.clock.now(),
            role_arn=self.role_arn,
        )
        return self._launch(machine, info, journal)

    def resume_execution(
        self, definition: StateMachine | Mapping[str, Any] | str, journal: ExecutionJournal
    ) -> ExecutionHandle:
        """Continue an execution from its journal (after a restart): finished steps are not redone.

        A journal whose last event is ``ExecutionRedriven`` (see :func:`redriven_event`) makes
        an ended execution run again from where it failed (``runtime/redrive.py``)."""
        machine = definition if isinstance(definition, StateMachine) else parse_definition(definition)
        events = journal.events()
        if not events or events[0].type != "ExecutionStarted":
            raise ValueError("the journal does not start with ExecutionStarted")
        started = events[0]
        info = ExecutionInfo(
            execution_arn=started.meta["execution_arn"],
            name=started.meta["name"],
            state_machine_arn=started.meta["state_machine_arn"],
            state_machine_name=started.meta["state_machine_arn"].rsplit(":", 1)[-1],
            input=json.loads(started.details["input"]),
            start_time=started.timestamp,
            role_arn=started.details["roleArn"],
            redrive_count=redrive_count(events),
        )
        return self._launch(machine, info, journal)

    def _launch(
        self, machine: StateMachine, info: ExecutionInfo, journal: ExecutionJournal
    ) -> ExecutionHandle:
        recorder = Recorder(journal, self.clock, limit=self.history_limit)
        runner = Runner(
            info=info,
            recorder=recorder,
            registry=self.registry,
            clock=self.clock,
            callbacks=self._callbacks,
            rng=self._rng,
            journal_factory=self._journal_factory,
            pacer=self.pacer,
            behaviours=behaviour_for,
            map_runs=self.map_runs,
        )
        started = recorder.emit(
            "ExecutionStarted",
            {"input": to_json(info.input), "inputDetails": {"truncated": False}, "roleArn": info.role_arn},
            scope="",
            previous=0,
            meta={
                "execution_arn": info.execution_arn,
                "name": info.name,
                "state_machine_arn": info.state_machine_arn,
            },
        )
        task = asyncio.get_running_loop().create_task(run_execution(runner, machine, started, info.input))
        handle = ExecutionHandle(runner, task)
        self._executions[info.execution_arn] = handle
        return handle

    def check_resources(self, machine: StateMachine) -> None:
        """Raise :class:`UnknownResource` naming every Task resource that cannot run here."""
        problems = [
            problem
            for state in _tasks(machine)
            if (problem := self.registry.check(state.resource, state.pointer)) is not None
        ]
        if problems:
            raise UnknownResource("; ".join(problems), problems)

    def execution(self, execution_arn: str) -> ExecutionHandle:
        """The handle of an execution started or resumed by this engine."""
        return self._executions[execution_arn]

    def forget(self, execution_arn: str) -> None:
        """Drop the handle (and in-memory journal) of a finished execution: a long-lived engine
        whose journals are durable elsewhere need not keep every execution it ever ran."""
        self._executions.pop(execution_arn, None)
        self._journals.pop(execution_arn, None)

    def stop_execution(self, execution_arn: str, error: str | None = None, cause: str | None = None) -> None:
        """StopExecution."""
        self.execution(execution_arn).stop(error, cause)

    def send_task_success(self, token: str, output: Any) -> None:
        """SendTaskSuccess: ``output`` is the task result (a JSON value)."""
        self._callbacks.succeed(token, json.loads(to_json(output)))

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """SendTaskFailure."""
        self._callbacks.fail(token, error, cause)

    def send_task_heartbeat(self, token: str) -> None:
        """SendTaskHeartbeat."""
        self._callbacks.heartbeat(token)

    async def get_activity_task(
        self, activity_arn: str, worker_name: str | None = None, *, wait_seconds: float = 60.0
    ) -> ActivityTask | None:
        """GetActivityTask: the next task of the activity, or None after ``wait_seconds``."""
        return await self._callbacks.poll(activity_arn.rsplit(":", 1)[-1], worker_name, wait_seconds)


def redriven_event(events: Sequence[HistoryEvent], when: datetime) -> HistoryEvent:
    """The ``ExecutionRedriven`` event to append to an ended execution's history to redrive it."""
    return HistoryEvent(
        id=len(events) + 1,
        previous_event_id=len(events),
        timestamp=when,
        type=REDRIVEN,
        details={"redriveCount": redrive_count(events) + 1},
        scope="",
    )


def _tasks(machine: StateMachine) -> Iterator[TaskState]:
    for state in machine.states.values():
        if isinstance(state, TaskState):
            yield state
        elif isinstance(state, ParallelState):
            for branch in state.branches:
                yield from _tasks(branch)
        elif isinstance(state, MapState):
            yield from _tasks(state.processor)
