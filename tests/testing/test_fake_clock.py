"""FakeClock: virtual time for asyncio, exact, never blocking; sleepers wake in deadline order,
when a test advances time or by itself."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from fleetops.testing.fake_clock import Deadlock, FakeClock

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_an_hour_of_sleep_takes_no_real_time_and_lands_exactly() -> None:
    clock = FakeClock(START)
    started = time.monotonic()
    clock.run(clock.sleep(3_600))
    assert clock.now() == START + timedelta(hours=1)
    assert time.monotonic() - started < 1


def test_concurrent_sleepers_wake_in_deadline_order_at_their_times() -> None:
    clock = FakeClock(START)
    woke: list[tuple[str, datetime]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    async def main() -> None:
        await asyncio.gather(sleeper("slow", 0.3), sleeper("fast", 0.1), sleeper("mid", 0.2))

    clock.run(main())
    assert woke == [
        ("fast", START + timedelta(milliseconds=100)),
        ("mid", START + timedelta(milliseconds=200)),
        ("slow", START + timedelta(milliseconds=300)),
    ]


def test_asyncio_timeouts_run_on_virtual_time() -> None:
    clock = FakeClock(START)

    async def main() -> datetime | None:
        try:
            async with asyncio.timeout(2.5):
                await clock.sleep(10)
        except TimeoutError:
            return clock.now()
        return None

    assert clock.run(main()) == START + timedelta(seconds=2.5)


def test_many_small_steps_accumulate_without_float_drift() -> None:
    clock = FakeClock(START)

    async def main() -> None:
        for _ in range(2_000):
            await clock.sleep(0.007)

    clock.run(main())
    assert clock.now() == START + timedelta(seconds=14)


def test_waiting_on_nothing_raises_deadlock_instead_of_hanging() -> None:
    clock = FakeClock(START)

    async def main() -> None:
        await asyncio.Event().wait()

    with pytest.raises(Deadlock):
        clock.run(main())


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


def test_auto_advance_holds_still_after_handlers_too_short_to_be_seen_running() -> None:
    # A handler's thread can start and end while auto-advance settles, so it never sees the
    # clock busy; a section that opens and closes in one step is that case made certain. The
    # task that ran the handlers must still carry on at the time they ran at (the flaky
    # "promote succeeded after 19s": a runbook's next Wait was entered one probe late).
    async def scenario() -> tuple[datetime, list[datetime]]:
        clock = FakeClock(START, auto_advance=True)
        probes: list[datetime] = []

        async def probe() -> None:  # a rollout's next health check, one second away
            await clock.sleep(1)
            probes.append(clock.now())

        async def execution() -> datetime:  # short handlers back to back, then its next Wait
            for _ in range(2_000):
                with clock.busy():
                    pass
                await asyncio.sleep(0)
            return clock.now()

        probing = asyncio.create_task(probe())
        await asyncio.sleep(0)
        entered_wait_at = await execution()
        await probing
        return entered_wait_at, probes

    assert asyncio.run(scenario()) == (START, [START + timedelta(seconds=1)])
