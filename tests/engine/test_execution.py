"""Execution lifecycle: ARNs, StopExecution, TimeoutSeconds, the context object."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fleetops.engine import Engine, ExecutionAlreadyExists, ExecutionStatus, Registry
from fleetops.testing.engine import run_definition, types
from fleetops.testing.fake_clock import FakeClock

WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}


def test_arns_are_aws_shaped() -> None:
    async def scenario() -> tuple[str, str]:
        engine = Engine(Registry(), region="eu-west-1", account_id="111111111111")
        handle = engine.start_execution(WAIT, {}, name="run-1", state_machine_name="deploy")
        handle.stop()
        await handle.result()
        return handle.execution_arn, engine.state_machine_arn("deploy")

    assert asyncio.run(scenario()) == (
        "arn:aws:states:eu-west-1:111111111111:execution:deploy:run-1",
        "arn:aws:states:eu-west-1:111111111111:stateMachine:deploy",
    )


def test_stop_execution_aborts_with_error_and_cause() -> None:
    async def scenario() -> tuple[Any, list[str]]:
        clock = FakeClock()
        engine = Engine(Registry(), clock=clock)
        handle = engine.start_execution(WAIT, {})
        await asyncio.sleep(0.01)
        engine.stop_execution(handle.execution_arn, "Operator", "stopped by ana")
        result = await handle.result()
        return (result.status, result.error, result.cause), types(handle.history())

    outcome, history = asyncio.run(scenario())
    assert outcome == (ExecutionStatus.ABORTED, "Operator", "stopped by ana")
    assert history == ["ExecutionStarted", "WaitStateEntered", "WaitStateAborted", "ExecutionAborted"]


def test_execution_timeout_times_out() -> None:
    finished = run_definition({**WAIT, "TimeoutSeconds": 5}, {})
    assert (finished.result.status, finished.result.error, finished.elapsed) == (
        ExecutionStatus.TIMED_OUT,
        None,
        5.0,
    )
    assert types(finished.history)[-1] == "ExecutionTimedOut"


def test_wait_completes_when_the_clock_reaches_its_due_time() -> None:
    async def scenario() -> list[ExecutionStatus]:
        clock = FakeClock()
        handle = Engine(Registry(), clock=clock).start_execution(WAIT, {"a": 1})
        await clock.advance(59)
        before = handle.status
        await clock.advance(1)
        await handle.result()
        return [before, handle.status]

    assert asyncio.run(scenario()) == [ExecutionStatus.RUNNING, ExecutionStatus.SUCCEEDED]


def test_event_ids_are_consecutive_and_timestamps_come_from_the_clock() -> None:
    finished = run_definition(WAIT, {})
    assert [e.id for e in finished.history] == [1, 2, 3, 4]
    assert (finished.history[2].timestamp - finished.history[1].timestamp).total_seconds() == 60.0


def test_context_object_names_the_execution_and_state() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {"name.$": "$$.Execution.Name", "state.$": "$$.State.Name"},
                "End": True,
            }
        },
    }

    async def scenario() -> Any:
        handle = Engine(Registry(), clock=FakeClock()).start_execution(definition, {}, name="e1")
        return (await handle.result()).output

    assert asyncio.run(scenario()) == {"name": "e1", "state": "P"}


def test_starting_the_same_name_twice_is_idempotent_for_the_same_input_only() -> None:
    async def scenario() -> tuple[bool, str]:
        engine = Engine(Registry(), clock=FakeClock())
        first = engine.start_execution(WAIT, {"a": 1}, name="once")
        again = engine.start_execution(WAIT, {"a": 1}, name="once")
        try:
            engine.start_execution(WAIT, {"a": 2}, name="once")
        except ExecutionAlreadyExists as err:
            message = str(err)
        first.stop()
        await first.result()
        return first is again, message

    assert asyncio.run(scenario()) == (
        True,
        "Execution Already Exists: 'arn:aws:states:us-east-1:123456789012:execution:StateMachine:once'",
    )


def test_describe_reports_what_describe_execution_does() -> None:
    async def scenario() -> dict[str, Any]:
        clock = FakeClock(auto_advance=True)
        handle = Engine(Registry(), clock=clock).start_execution(
            WAIT, {"a": 1}, name="d", state_machine_name="m"
        )
        await handle.result()
        return handle.describe()

    described = asyncio.run(scenario())
    assert described["stopDate"] - described["startDate"] == timedelta(seconds=60)
    del described["startDate"], described["stopDate"]
    assert described == {
        "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:d",
        "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
        "name": "d",
        "status": "SUCCEEDED",
        "input": '{"a":1}',
        "inputDetails": {"included": True},
        "redriveCount": 0,
        "output": '{"a":1}',
        "outputDetails": {"included": True},
    }
