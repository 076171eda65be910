"""Pacing: a runaway execution shares the event loop; AWS's history limit ends it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fleetops.engine import Engine, ExecutionStatus, Registry
from fleetops.engine.runtime.pacing import Pacer

# Pass -> Choice -> Pass ... forever: no state of it ever waits for anything.
RUNAWAY: dict[str, Any] = {
    "StartAt": "Spin",
    "States": {
        "Spin": {"Type": "Pass", "Next": "Again"},
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.never", "IsPresent": True, "Next": "Done"}],
            "Default": "Spin",
        },
        "Done": {"Type": "Succeed"},
    },
}

CAUSE = "The execution reached the maximum number of history events (25000)."


def map_of(count: int) -> dict[str, Any]:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Items": f"{{% [1..{count}] %}}",
                "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }


def test_a_runaway_loop_fails_when_its_history_reaches_25000_events_as_on_aws() -> None:
    async def scenario() -> None:
        handle = Engine(Registry()).start_execution(RUNAWAY)
        result = await handle.result()
        assert (result.status, result.error, result.cause) == (
            ExecutionStatus.FAILED,
            "States.Runtime",
            CAUSE,
        )
        events = handle.history()
        assert len(events) == 25_000
        last, before = events[-1], events[-2]
        assert (last.id, last.previous_event_id, last.type) == (25_000, 24_999, "ExecutionFailed")
        assert dict(last.details) == {"error": "States.Runtime", "cause": CAUSE}
        assert (before.id, before.type) == (24_999, "PassStateExited")
        assert handle.describe()["error"] == "States.Runtime"

    asyncio.run(scenario())


def test_a_catch_on_states_all_does_not_catch_the_history_limit() -> None:
    caught = {
        "StartAt": "Loop",
        "States": {
            "Loop": {
                "Type": "Parallel",
                "Branches": [RUNAWAY],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }

    async def scenario() -> None:
        handle = Engine(Registry(), history_limit=500).start_execution(caught)
        result = await handle.result()
        assert (result.status, result.cause) == (
            ExecutionStatus.FAILED,
            "The execution reached the maximum number of history events (500).",
        )
        assert [e.id for e in handle.history()][-1] == 500

    asyncio.run(scenario())


def test_other_coroutines_run_between_the_transitions_of_a_runaway_loop() -> None:
    async def scenario() -> None:
        handle = Engine(Registry()).start_execution(RUNAWAY)
        for _ in range(10):
            await asyncio.sleep(0)
        # Ten turns of the loop later the execution is still far from its end: it gave the
        # loop back instead of running its 12,500 transitions in one go.
        assert handle.status is ExecutionStatus.RUNNING
        assert 0 < len(handle.history()) < 5_000
        handle.stop("Spun", "stopped by the test")
        result = await handle.result()
        assert (result.status, result.error) == (ExecutionStatus.ABORTED, "Spun")
        assert handle.history()[-1].type == "ExecutionAborted"

    asyncio.run(scenario())


def test_two_runaway_loops_share_the_loop_evenly() -> None:
    async def scenario() -> None:
        engine = Engine(Registry(), pacer=Pacer(per_turn=8, slice_seconds=float("inf")))
        first = engine.start_execution(RUNAWAY, name="first")
        second = engine.start_execution(RUNAWAY, name="second")
        for _ in range(200):
            await asyncio.sleep(0)
        counts = (len(first.history()), len(second.history()))
        first.stop()
        second.stop()
        await asyncio.gather(first.result(), second.result())
        assert min(counts) > 200
        # Each gets 4 of the 8 transitions of a turn (8 events): they stay within a turn's worth.
        assert abs(counts[0] - counts[1]) <= 16, counts

    asyncio.run(scenario())


def test_a_map_over_100000_items_does_not_hold_the_loop() -> None:
    async def scenario() -> None:
        handle = Engine(Registry()).start_execution(map_of(100_000))
        for _ in range(10):
            await asyncio.sleep(0)
        assert handle.status is ExecutionStatus.RUNNING
        assert len(handle.history()) < 5_000
        result = await handle.result()
        assert (result.status, result.cause) == (ExecutionStatus.FAILED, CAUSE)
        assert len(handle.history()) == 25_000

    asyncio.run(scenario())


def test_the_pacer_grants_waiting_executions_in_turn() -> None:
    async def scenario() -> list[str]:
        pacer = Pacer(per_turn=2, slice_seconds=float("inf"))
        order: list[str] = []

        async def spin(name: str) -> None:
            for _ in range(6):
                await pacer.transition(name)
                order.append(name)

        await asyncio.gather(spin("a"), spin("b"))
        return order

    order = asyncio.run(scenario())
    # "a" takes the first turn's budget alone (nothing else was busy before); from then on the
    # turn's 2 transitions are split between the 2 busy executions, one each, until "a" is done.
    assert order == ["a", "a", "a", "b", "a", "b", "a", "b", "a", "b", "b", "b"]


def test_a_pacer_needs_a_budget() -> None:
    with pytest.raises(ValueError, match="per_turn must be at least 1, got 0"):
        Pacer(per_turn=0)
