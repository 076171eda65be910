"""FakeClock: sleepers wake in deadline order, when a test advances time or by itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fleetops.engine import FakeClock

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_advance_wakes_sleepers_in_deadline_order() -> None:
    async def scenario() -> list[tuple[str, float]]:
        clock = FakeClock(START)
        woke: list[tuple[str, float]] = []

        async def sleeper(name: str, seconds: float) -> None:
            await clock.sleep(seconds)
            woke.append((name, (clock.now() - START).total_seconds()))

        tasks = [asyncio.create_task(sleeper("late", 30)), asyncio.create_task(sleeper("early", 10))]
        await asyncio.sleep(0)
        await clock.advance(20)
        assert woke == [("early", 10.0)]
        await clock.advance(20)
        await asyncio.gather(*tasks)
        return woke

    assert asyncio.run(scenario()) == [("early", 10.0), ("late", 30.0)]


def test_auto_advance_jumps_to_the_earliest_deadline() -> None:
    async def scenario() -> tuple[str, datetime]:
        clock = FakeClock(START, auto_advance=True)
        short = asyncio.create_task(clock.sleep(5))
        long = asyncio.create_task(clock.sleep(60))
        done, _ = await asyncio.wait({short, long}, return_when=asyncio.FIRST_COMPLETED)
        winner = "short" if short in done else "long"
        moment = clock.now()
        long.cancel()
        return winner, moment

    assert asyncio.run(scenario()) == ("short", START + timedelta(seconds=5))


def test_the_engine_runs_on_the_system_clock_by_default() -> None:
    from fleetops.engine import Engine, Registry

    async def scenario() -> object:
        definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 0, "End": True}}}
        return (await Engine(Registry()).start_execution(definition, {"x": 1}).result()).output

    assert asyncio.run(scenario()) == {"x": 1}
