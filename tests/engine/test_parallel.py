"""Parallel: branch outputs in branch order; the first failure fails the state."""

from __future__ import annotations

import asyncio
from typing import Any

from fleetops.engine import ExecutionStatus, Registry, TaskFailure
from fleetops.testing.engine import run_definition


def parallel(*branches: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "S", "States": {"S": {**b, "End": True}}} for b in branches],
                "End": True,
                **fields,
            }
        },
    }


def test_outputs_are_in_branch_order_whatever_finishes_first(registry: Registry) -> None:
    async def slow(payload: Any) -> str:
        await asyncio.sleep(0.01)
        return "slow"

    registry.register("fleetops:slow", slow)
    result = run_definition(
        parallel({"Type": "Task", "Resource": "fleetops:slow"}, {"Type": "Pass", "Result": "fast"}),
        {},
        registry=registry,
    ).result
    assert result.output == ["slow", "fast"]


def test_a_failing_branch_fails_the_state_and_stops_the_others(registry: Registry) -> None:
    stopped: list[str] = []

    async def forever(payload: Any) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.append("forever")
            raise

    def boom(payload: Any) -> None:
        raise TaskFailure("Boom", "branch 2")

    registry.register("fleetops:forever", forever)
    registry.register("fleetops:boom", boom)
    result = run_definition(
        parallel(
            {"Type": "Task", "Resource": "fleetops:forever"}, {"Type": "Task", "Resource": "fleetops:boom"}
        ),
        {},
        registry=registry,
    ).result
    assert (result.status, result.error, result.cause) == (ExecutionStatus.FAILED, "Boom", "branch 2")
    assert stopped == ["forever"]


def test_result_selector_and_result_path_shape_the_array() -> None:
    result = run_definition(
        parallel(
            {"Type": "Pass", "Result": 1},
            {"Type": "Pass", "Result": 2},
            ResultSelector={"first.$": "$[0]"},
            ResultPath="$.parallel",
        ),
        {"in": True},
    ).result
    assert result.output == {"in": True, "parallel": {"first": 1}}
