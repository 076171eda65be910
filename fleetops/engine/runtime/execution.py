"""One execution from ExecutionStarted to its terminal event, including TimeoutSeconds."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from fleetops.engine.definition.states import StateMachine
from fleetops.engine.errors import StatesError
from fleetops.engine.history import HistoryEvent
from fleetops.engine.runtime.failures import to_json
from fleetops.engine.runtime.frame import Branch
from fleetops.engine.runtime.runner import Runner
from fleetops.engine.runtime.timers import Expired, race


class ExecutionStatus(StrEnum):
    """``DescribeExecution`` statuses."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


@dataclass(frozen=True)
class ExecutionResult:
    """How an execution ended: output when it succeeded, error/cause (either may be None) else."""

    status: ExecutionStatus
    output: Any = None
    error: str | None = None
    cause: str | None = None


_TERMINAL = {
    "ExecutionSucceeded": ExecutionStatus.SUCCEEDED,
    "ExecutionFailed": ExecutionStatus.FAILED,
    "ExecutionTimedOut": ExecutionStatus.TIMED_OUT,
    "ExecutionAborted": ExecutionStatus.ABORTED,
}


def result_of(event: HistoryEvent) -> ExecutionResult | None:
    """The result a terminal event records (None for other events)."""
    status = _TERMINAL.get(event.type)
    if status is None:
        return None
    if status is ExecutionStatus.SUCCEEDED:
        return ExecutionResult(status, output=json.loads(event.details["output"]))
    return ExecutionResult(status, error=event.details.get("error"), cause=event.details.get("cause"))


async def run_execution(
    runner: Runner, machine: StateMachine, started: HistoryEvent, value: Any
) -> ExecutionResult:
    """Run the machine to its end and write the terminal event."""
    ended = runner.recorder.ended()
    if ended is not None:
        done = result_of(ended)
        assert done is not None
        return done
    # AWS chains the first state's event to 0, not to ExecutionStarted.
    branch = Branch(prefix="", variables={}, last_event_id=0)
    emit = runner.recorder.emit
    work = asyncio.ensure_future(runner.run_machine(machine, value, branch))
    runner.work = work
    if runner.stopping is not None:
        work.cancel()
    try:
        if machine.timeout_seconds is not None:
            due = started.timestamp + timedelta(seconds=machine.timeout_seconds)
            remaining = max((due - runner.clock.now()).total_seconds(), 0.0)
            output = await race(work, runner.clock, timeout=remaining)
        else:
            output = await work
    except Expired:
        if runner.recorder.full is not None:
            return _limit_reached(runner)
        emit("ExecutionTimedOut", {}, scope="", previous=runner.recorder.last_id)
        return ExecutionResult(ExecutionStatus.TIMED_OUT)
    except StatesError as err:
        if runner.recorder.full is not None:
            return _limit_reached(runner)
        error = None if err.error is None else str(err.error)  # a StatesErrorName is reported as its text
        details = {k: v for k, v in (("error", error), ("cause", err.cause)) if v is not None}
        emit("ExecutionFailed", details, scope="", previous=runner.recorder.last_id)
        return ExecutionResult(ExecutionStatus.FAILED, error=error, cause=err.cause)
    except asyncio.CancelledError:
        if runner.recorder.full is not None:  # the history reached its limit: that ended it
            return _limit_reached(runner)
        stop = runner.stopping
        if stop is None:
            raise  # abandoned (the process "died"): write nothing, a new runner resumes
        details = {k: v for k, v in (("error", stop.error), ("cause", stop.cause)) if v is not None}
        emit("ExecutionAborted", details, scope="", previous=runner.recorder.last_id)
        return ExecutionResult(ExecutionStatus.ABORTED, error=stop.error, cause=stop.cause)
    if runner.recorder.full is not None:
        return _limit_reached(runner)
    emit(
        "ExecutionSucceeded",
        {"output": to_json(output), "outputDetails": {"truncated": False}},
        scope="",
        previous=runner.recorder.last_id,
    )
    return ExecutionResult(ExecutionStatus.SUCCEEDED, output=output)


def _limit_reached(runner: Runner) -> ExecutionResult:
    """The result of an execution whose history reached its limit (its failure is written)."""
    full = runner.recorder.full
    assert full is not None
    return ExecutionResult(ExecutionStatus.FAILED, error=full.details["error"], cause=full.details["cause"])
