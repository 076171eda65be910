"""The engine reads time from ``fleetops.clock``: the system clock unless given another."""

from __future__ import annotations

import asyncio

from fleetops.engine import Engine, Registry


def test_the_engine_runs_on_the_system_clock_by_default() -> None:
    async def scenario() -> object:
        definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 0, "End": True}}}
        return (await Engine(Registry()).start_execution(definition, {"x": 1}).result()).output

    assert asyncio.run(scenario()) == {"x": 1}
