"""FakeClock: virtual time for asyncio, exact to the millisecond, never blocking."""

import asyncio
import time

import pytest

from fleetops.testing.fake_clock import Deadlock, FakeClock


def test_an_hour_of_sleep_takes_no_real_time_and_lands_exactly() -> None:
    clock = FakeClock()
    started = time.monotonic()
    clock.run(clock.sleep(3_600_000))
    assert clock.now() == 3_600_000
    assert time.monotonic() - started < 1


def test_concurrent_sleepers_wake_in_deadline_order_at_their_times() -> None:
    clock = FakeClock(start_ms=1_000)
    woke: list[tuple[str, int]] = []

    async def sleeper(name: str, ms: int) -> None:
        await clock.sleep(ms)
        woke.append((name, clock.now()))

    async def main() -> None:
        await asyncio.gather(sleeper("slow", 300), sleeper("fast", 100), sleeper("mid", 200))

    clock.run(main())
    assert woke == [("fast", 1_100), ("mid", 1_200), ("slow", 1_300)]


def test_asyncio_timeouts_run_on_virtual_time() -> None:
    clock = FakeClock()

    async def main() -> int:
        try:
            async with asyncio.timeout(2.5):
                await clock.sleep(10_000)
        except TimeoutError:
            return clock.now()
        return -1

    assert clock.run(main()) == 2_500


def test_many_small_steps_accumulate_without_float_drift() -> None:
    clock = FakeClock()

    async def main() -> None:
        for _ in range(2_000):
            await clock.sleep(7)

    clock.run(main())
    assert clock.now() == 14_000


def test_waiting_on_nothing_raises_deadlock_instead_of_hanging() -> None:
    clock = FakeClock()

    async def main() -> None:
        await asyncio.Event().wait()

    with pytest.raises(Deadlock):
        clock.run(main())
