"""Task states call registered handlers; results flow through ResultSelector/ResultPath."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from fleetops.engine import (
    Engine,
    ExecutionStatus,
    Registry,
    TaskContext,
    TaskFailure,
    UnknownResource,
)
from fleetops.testing.engine import run_definition, types
from fleetops.testing.fake_clock import FakeClock


def task(resource: str = "fleetops:work", **fields: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}}}


def test_handler_result_goes_through_result_selector_and_result_path(registry: Registry) -> None:
    registry.register("fleetops:work", lambda payload: {"sum": payload["a"] + payload["b"], "noise": 1})
    finished = run_definition(
        task(
            Parameters={"a.$": "$.x", "b": 2},
            ResultSelector={"total.$": "$.sum"},
            ResultPath="$.result",
        ),
        {"x": 40},
        registry=registry,
    )
    assert finished.result.status is ExecutionStatus.SUCCEEDED
    assert finished.result.output == {"x": 40, "result": {"total": 42}}
    assert types(finished.history) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert finished.history[2].details["parameters"] == '{"a":40,"b":2}'


def test_async_handlers_get_the_task_context(registry: Registry) -> None:
    seen: list[TaskContext] = []

    async def handler(payload: Any, context: TaskContext) -> str:
        seen.append(context)
        return "done"

    registry.register("fleetops:work", handler)
    finished = run_definition(task(), {}, registry=registry)
    assert finished.result.output == "done"
    assert (seen[0].state_name, seen[0].attempt) == ("T", 0)
    assert seen[0].execution_arn.startswith("arn:aws:states:us-east-1:123456789012:execution:StateMachine:")


def test_a_failing_handler_fails_the_execution_with_its_error_and_cause(registry: Registry) -> None:
    def handler(payload: Any) -> None:
        raise TaskFailure("Deploy.Failed", "instance i-1 unhealthy")

    registry.register("fleetops:work", handler)
    result = run_definition(task(), {}, registry=registry).result
    assert (result.status, result.error, result.cause) == (
        ExecutionStatus.FAILED,
        "Deploy.Failed",
        "instance i-1 unhealthy",
    )


def test_other_exceptions_are_named_by_their_class(registry: Registry) -> None:
    def handler(payload: Any) -> None:
        raise ValueError("bad value")

    registry.register("fleetops:work", handler)
    result = run_definition(task(), {}, registry=registry).result
    assert (result.error, result.cause) == ("ValueError", "bad value")


def test_retry_waits_interval_times_backoff_on_the_clock(registry: Registry) -> None:
    clock = FakeClock(auto_advance=True)
    start = clock.now()
    calls: list[float] = []

    def handler(payload: Any) -> str:
        calls.append((clock.now() - start).total_seconds())
        if len(calls) < 4:
            raise TaskFailure("Busy")
        return "ok"

    registry.register("fleetops:work", handler)
    retry = [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}]
    finished = run_definition(task(Retry=retry), {}, registry=registry, clock=clock)
    assert finished.result.output == "ok"
    assert calls == [0.0, 2.0, 8.0, 26.0]


def test_max_delay_caps_the_interval(registry: Registry) -> None:
    clock = FakeClock(auto_advance=True)
    start = clock.now()
    calls: list[float] = []

    def handler(payload: Any) -> str:
        calls.append((clock.now() - start).total_seconds())
        raise TaskFailure("Busy")

    registry.register("fleetops:work", handler)
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 3, "MaxDelaySeconds": 15}]
    finished = run_definition(task(Retry=retry), {}, registry=registry, clock=clock)
    assert finished.result.error == "Busy"
    assert calls == [0.0, 10.0, 25.0, 40.0]


def test_catch_puts_the_error_output_at_result_path_and_goes_next(registry: Registry) -> None:
    registry.register("fleetops:work", lambda payload: (_ for _ in ()).throw(TaskFailure("Boom", "why")))
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "fleetops:work",
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    result = run_definition(definition, {"keep": 1}, registry=registry).result
    assert result.output == {"keep": 1, "error": {"Error": "Boom", "Cause": "why"}}


def test_states_all_does_not_catch_states_runtime(registry: Registry) -> None:
    registry.register("fleetops:work", lambda payload: {})
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "fleetops:work",
                "OutputPath": "$.missing",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    result = run_definition(definition, {}, registry=registry).result
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "States.Runtime")
    assert result.cause == (
        "An error occurred while executing the state 'T' (entered at the event id #2). "
        "Invalid path '$.missing' : No results for path: $['missing']"
    )


def test_timeout_fails_the_task_with_states_timeout(registry: Registry) -> None:
    async def slow(payload: Any, context: TaskContext) -> None:
        await asyncio.Event().wait()

    registry.register("fleetops:work", slow)

    async def scenario() -> tuple[str | None, list[str]]:
        clock = FakeClock()
        handle = Engine(registry, clock=clock).start_execution(task(TimeoutSeconds=30), {})
        await clock.advance(29)
        assert handle.status is ExecutionStatus.RUNNING
        await clock.advance(1)
        result = await handle.result()
        return result.error, types(handle.history())

    error, history = asyncio.run(scenario())
    assert error == "States.Timeout"
    assert history == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskTimedOut",
        "ExecutionFailed",
    ]


def test_auto_advance_does_not_count_a_handlers_real_work_as_time(registry: Registry) -> None:
    def slowish(payload: Any) -> str:
        time.sleep(0.05)
        return "done"

    registry.register("fleetops:work", slowish)
    finished = run_definition(task(TimeoutSeconds=1), {}, registry=registry)
    assert (finished.result.output, finished.elapsed) == ("done", 0.0)


def test_unregistered_and_aws_resources_are_refused_before_starting(registry: Registry) -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "fleetops:nope", "Next": "B"},
            "B": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "End": True,
            },
        },
    }

    async def start() -> None:
        Engine(registry).start_execution(definition, {})

    with pytest.raises(UnknownResource) as caught:
        asyncio.run(start())
    assert caught.value.problems == [
        "/States/A/Resource: no handler is registered for 'fleetops:nope' (registered: none)",
        "/States/B/Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f' is an AWS resource (lambda); "
        "fleetops does not call AWS from state machines. Register a handler under this exact "
        "string to run it "
        "here, or use an activity and `fleetops worker` on AWS",
    ]


def test_a_handler_registered_under_an_aws_resource_runs_it(registry: Registry) -> None:
    registry.register("arn:aws:states:::lambda:invoke", lambda payload: {"Payload": payload["Payload"] * 2})
    result = run_definition(
        task("arn:aws:states:::lambda:invoke", Parameters={"Payload.$": "$.n"}), {"n": 21}, registry=registry
    ).result
    assert result.output == {"Payload": 42}


def test_naming_states_runtime_catches_it(registry: Registry) -> None:
    registry.register("fleetops:work", lambda payload: {})
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "fleetops:work",
                "OutputPath": "$.missing",
                "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    result = run_definition(definition, {}, registry=registry).result
    assert result.output == {
        "Error": "States.Runtime",
        "Cause": "An error occurred while executing the state 'T' (entered at the event id #2). "
        "Invalid path '$.missing' : No results for path: $['missing']",
    }


def test_context_retry_count_counts_retries(registry: Registry) -> None:
    seen: list[int] = []

    def handler(payload: dict[str, int]) -> str:
        seen.append(payload["retry"])
        if len(seen) < 3:
            raise TaskFailure("Again")
        return "ok"

    registry.register("fleetops:work", handler)
    retry = [{"ErrorEquals": ["Again"], "IntervalSeconds": 1}]
    run_definition(task(Retry=retry, Parameters={"retry.$": "$$.State.RetryCount"}), {}, registry=registry)
    assert seen == [0, 1, 2]
