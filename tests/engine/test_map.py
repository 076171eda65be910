"""Map: concurrency limit, tolerated failures, ItemSelector context, ItemBatcher."""

from __future__ import annotations

import asyncio
from typing import Any

from fleetops.engine import Engine, ExecutionStatus, InMemoryJournal, Registry, TaskFailure
from fleetops.testing.engine import run_definition, types
from fleetops.testing.fake_clock import FakeClock


def map_over(processor_state: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Item", "States": {"Item": {**processor_state, "End": True}}},
                "End": True,
                **fields,
            }
        },
    }


def test_max_concurrency_limits_iterations_in_flight(registry: Registry) -> None:
    running = {"now": 0, "most": 0}

    async def work(item: int) -> int:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        await asyncio.sleep(0.002)
        running["now"] -= 1
        return item * 10

    registry.register("fleetops:work", work)
    finished = run_definition(
        map_over({"Type": "Task", "Resource": "fleetops:work"}, MaxConcurrency=2),
        [1, 2, 3, 4, 5],
        registry=registry,
    )
    assert finished.result.output == [10, 20, 30, 40, 50]
    assert running["most"] == 2


def test_without_a_limit_all_iterations_run_at_once(registry: Registry) -> None:
    running = {"now": 0, "most": 0}

    async def work(item: int) -> int:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        await asyncio.sleep(0.002)
        running["now"] -= 1
        return item

    registry.register("fleetops:work", work)
    run_definition(
        map_over({"Type": "Task", "Resource": "fleetops:work"}), [1, 2, 3, 4, 5], registry=registry
    )
    assert running["most"] == 5


def fail_on_odd(registry: Registry) -> None:
    def work(item: int) -> int:
        if item % 2:
            raise TaskFailure("Odd", f"item {item}")
        return item

    registry.register("fleetops:work", work)


def test_a_failed_iteration_fails_the_map_with_its_error(registry: Registry) -> None:
    fail_on_odd(registry)
    result = run_definition(
        map_over({"Type": "Task", "Resource": "fleetops:work"}, MaxConcurrency=1),
        [2, 3, 4],
        registry=registry,
    ).result
    assert (result.status, result.error, result.cause) == (ExecutionStatus.FAILED, "Odd", "item 3")


def test_tolerated_failures_let_the_map_succeed(registry: Registry) -> None:
    fail_on_odd(registry)
    result = run_definition(
        map_over({"Type": "Task", "Resource": "fleetops:work"}, ToleratedFailureCount=1),
        [2, 3, 4],
        registry=registry,
    ).result
    assert result.output == [2, {"Error": "Odd", "Cause": "item 3"}, 4]


def test_exceeding_the_tolerated_percentage_fails_the_map(registry: Registry) -> None:
    fail_on_odd(registry)
    result = run_definition(
        map_over({"Type": "Task", "Resource": "fleetops:work"}, ToleratedFailurePercentage=40),
        [1, 3, 4],
        registry=registry,
    ).result
    assert (result.error, result.cause) == (
        "States.ExceedToleratedFailureThreshold",
        "The specified tolerated failure threshold was exceeded",
    )


def test_item_selector_sees_the_map_item_in_the_context() -> None:
    result = run_definition(
        map_over(
            {"Type": "Pass"},
            ItemsPath="$.names",
            ItemSelector={"index.$": "$$.Map.Item.Index", "name.$": "$$.Map.Item.Value", "env.$": "$.env"},
        ),
        {"names": ["a", "b"], "env": "dev"},
    ).result
    assert result.output == [{"index": 0, "name": "a", "env": "dev"}, {"index": 1, "name": "b", "env": "dev"}]


def test_item_batcher_groups_items() -> None:
    result = run_definition(
        map_over({"Type": "Pass"}, ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"k": 1}}), [1, 2, 3]
    ).result
    assert result.output == [
        {"Items": [1, 2], "BatchInput": {"k": 1}},
        {"Items": [3], "BatchInput": {"k": 1}},
    ]


def test_variables_assigned_in_an_iteration_stay_in_it() -> None:
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"x": "outer"}, "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Inner",
                    "States": {
                        "Inner": {"Type": "Pass", "Assign": {"x.$": "$"}, "Next": "Read"},
                        "Read": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True},
                    },
                },
                "Next": "After",
            },
            "After": {"Type": "Pass", "Parameters": {"x.$": "$x", "items.$": "$"}, "End": True},
        },
    }
    result = run_definition(definition, [1, 2]).result
    assert result.output == {"x": "outer", "items": [{"x": 1}, {"x": 2}]}


def test_jsonata_item_batcher_fields_are_evaluated() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        **map_over(
            {"Type": "Pass"},
            ItemBatcher={"MaxItemsPerBatch": "{% $states.input.size %}"},
            Items="{% $states.input.items %}",
        ),
    }
    result = run_definition(definition, {"size": 2, "items": [1, 2, 3]}).result
    assert result.output == [{"Items": [1, 2]}, {"Items": [3]}]


def test_tolerated_failure_percentage_path_must_hold_a_number() -> None:
    definition = map_over({"Type": "Pass"}, ItemsPath="$.items", ToleratedFailurePercentagePath="$.p")
    result = run_definition(definition, {"items": [1], "p": "many"}).result
    assert (result.error, result.cause) == (
        "States.Runtime",
        "An error occurred while executing the state 'M' (entered at the event id #2). "
        'The ToleratedFailurePercentagePath field refers to value "many" which is not a valid float: $.p',
    )


def test_tolerated_failure_percentage_above_100_is_refused() -> None:
    definition = map_over({"Type": "Pass"}, ItemsPath="$.items", ToleratedFailurePercentagePath="$.p")
    result = run_definition(definition, {"items": [1], "p": 100.1}).result
    assert result.cause == (
        "An error occurred while executing the state 'M' (entered at the event id #2). "
        "ToleratedFailurePercentage must be between 0 and 100."
    )


def test_distributed_map_writes_a_map_run_and_keeps_iterations_in_its_own_journal() -> None:
    definition = map_over({"Type": "Pass"}, Label="deploys")
    definition["States"]["M"]["ItemProcessor"]["ProcessorConfig"] = {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }

    async def scenario() -> tuple[Any, list[str], str, list[str]]:
        journals: dict[str, InMemoryJournal] = {}
        engine = Engine(
            Registry(),
            clock=FakeClock(auto_advance=True),
            journal_factory=lambda arn: journals.setdefault(arn, InMemoryJournal()),
        )
        handle = engine.start_execution(definition, [1, 2], name="e", state_machine_name="m")
        result = await handle.result()
        run_arn = next(e.details["mapRunArn"] for e in handle.history() if e.type == "MapRunStarted")
        return result.output, types(handle.history()), run_arn, types(journals[run_arn].events())

    output, history, run_arn, run_history = asyncio.run(scenario())
    assert output == [1, 2]
    assert history == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    assert run_arn.startswith("arn:aws:states:us-east-1:123456789012:mapRun:m/deploys:")
    assert run_history.count("MapIterationSucceeded") == 2


def test_stopping_aborts_the_map_and_its_iterations() -> None:
    definition = map_over({"Type": "Wait", "Seconds": 60})

    async def scenario() -> list[str]:
        clock = FakeClock()
        handle = Engine(Registry(), clock=clock).start_execution(definition, [1])
        await asyncio.sleep(0.01)
        handle.stop()
        await handle.result()
        return types(handle.history())

    assert asyncio.run(scenario())[-5:] == [
        "WaitStateEntered",
        "WaitStateAborted",
        "MapIterationAborted",
        "MapStateAborted",
        "ExecutionAborted",
    ]
