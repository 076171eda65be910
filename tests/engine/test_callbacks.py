"""Task tokens (.waitForTaskToken), heartbeats, and activities served to workers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fleetops.engine import Engine, ExecutionStatus, Registry, TaskContext, TaskDoesNotExist
from fleetops.testing.engine import types
from fleetops.testing.fake_clock import FakeClock

APPROVAL = {
    "StartAt": "Approve",
    "States": {
        "Approve": {
            "Type": "Task",
            "Resource": "fleetops:request-approval.waitForTaskToken",
            "Parameters": {"token.$": "$$.Task.Token", "release.$": "$.release"},
            "HeartbeatSeconds": 60,
            "ResultPath": "$.approval",
            "End": True,
        }
    },
}


def approval_registry(tokens: list[str]) -> Registry:
    registry = Registry()

    def request(payload: dict[str, Any], context: TaskContext) -> dict[str, str]:
        assert payload["token"] == context.task_token
        tokens.append(payload["token"])
        return {"sent": "slack"}

    registry.register("fleetops:request-approval", request)
    return registry


def test_send_task_success_completes_a_wait_for_task_token_task() -> None:
    async def scenario() -> tuple[Any, list[str]]:
        tokens: list[str] = []
        engine = Engine(approval_registry(tokens), clock=FakeClock())
        handle = engine.start_execution(APPROVAL, {"release": 7})
        while not tokens:
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.01)
        engine.send_task_success(tokens[0], {"by": "ana"})
        result = await handle.result()
        return result.output, types(handle.history())

    output, history = asyncio.run(scenario())
    assert output == {"release": 7, "approval": {"by": "ana"}}
    assert history[2:7] == [
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
    ]


def test_send_task_failure_fails_the_task() -> None:
    async def scenario() -> tuple[str | None, str | None]:
        tokens: list[str] = []
        engine = Engine(approval_registry(tokens), clock=FakeClock())
        handle = engine.start_execution(APPROVAL, {"release": 7})
        while not tokens:
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.01)
        engine.send_task_failure(tokens[0], "Rejected", "not today")
        result = await handle.result()
        return result.error, result.cause

    assert asyncio.run(scenario()) == ("Rejected", "not today")


def test_missing_heartbeats_fail_with_heartbeat_timeout_and_beats_extend_it() -> None:
    async def scenario() -> tuple[str | None, float]:
        tokens: list[str] = []
        clock = FakeClock()
        start = clock.now()
        engine = Engine(approval_registry(tokens), clock=clock)
        handle = engine.start_execution(APPROVAL, {"release": 7})
        while not tokens:
            await asyncio.sleep(0.001)
        await clock.advance(50)
        engine.send_task_heartbeat(tokens[0])
        await clock.advance(50)  # 100 s in, 50 s after the beat: still alive
        assert handle.status is ExecutionStatus.RUNNING
        await clock.advance(20)
        result = await handle.result()
        return result.error, (clock.now() - start).total_seconds()

    assert asyncio.run(scenario()) == ("States.HeartbeatTimeout", 120.0)


def test_unknown_tokens_are_refused() -> None:
    async def scenario() -> None:
        Engine(Registry()).send_task_success("nope", {})

    with pytest.raises(TaskDoesNotExist, match="Task Token does not exist or has already completed: 'nope'"):
        asyncio.run(scenario())


def test_an_activity_task_waits_for_a_worker() -> None:
    arn = "arn:aws:states:us-east-1:123456789012:activity:deploy"
    definition = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": arn, "End": True}}}

    async def scenario() -> tuple[Any, Any, list[str]]:
        registry = Registry()
        registry.register_activity(arn)
        engine = Engine(registry, clock=FakeClock())
        handle = engine.start_execution(definition, {"service": "orders"})
        work = await engine.get_activity_task(arn, "worker-1", wait_seconds=5)
        assert work is not None
        engine.send_task_success(work.token, {"deployed": work.input["service"]})
        result = await handle.result()
        return work.input, result.output, types(handle.history())

    task_input, output, history = asyncio.run(scenario())
    assert task_input == {"service": "orders"}
    assert output == {"deployed": "orders"}
    assert history == [
        "ExecutionStarted",
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


def test_polling_an_idle_activity_returns_none() -> None:
    async def scenario() -> Any:
        return await Engine(Registry()).get_activity_task(
            "arn:aws:states:us-east-1:1:activity:idle", wait_seconds=0.01
        )

    assert asyncio.run(scenario()) is None


def test_timeout_counts_from_scheduling_across_the_callback_wait() -> None:
    definition = {
        "StartAt": "Approve",
        "States": {
            "Approve": {
                "Type": "Task",
                "Resource": "fleetops:request-approval.waitForTaskToken",
                "TimeoutSeconds": 100,
                "End": True,
            }
        },
    }

    async def scenario() -> tuple[str | None, float]:
        clock = FakeClock()
        start = clock.now()
        registry = Registry()

        async def request(payload: Any) -> None:
            await clock.sleep(40)  # the handler itself takes 40 s

        registry.register("fleetops:request-approval", request)
        handle = Engine(registry, clock=clock).start_execution(definition, {})
        for _ in range(4):
            await clock.advance(30)
        result = await handle.result()
        timed_out = next(e for e in handle.history() if e.type == "TaskTimedOut")
        return result.error, (timed_out.timestamp - start).total_seconds()

    assert asyncio.run(scenario()) == ("States.Timeout", 100.0)
