"""A fake clock for asyncio code: every sleep returns at once, time advances exactly.

`FakeClock.run(main)` runs a coroutine on an event loop whose time is virtual: when every task is
waiting for a timer, the loop jumps to the earliest one instead of blocking. `asyncio.sleep`,
`asyncio.wait_for` timeouts and `FakeClock.sleep` all run on that time, so a rollout's hour of
checkpoint delay takes microseconds and lands on the exact millisecond. Only public asyncio API
is used: `SelectorEventLoop` accepts the selector it waits on, and this one never waits.

If every task waits and no timer is due, nothing can ever happen: `run` raises `Deadlock`
instead of hanging the test.

    clock = FakeClock()
    status = clock.run(refresh.run())
    assert clock.now() == 600_000
"""

from __future__ import annotations

import asyncio
import math
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Deadlock(RuntimeError):
    """Every task waits and no timer is scheduled: the fake world can never move again."""


class _VirtualTimeSelector(selectors.SelectSelector):
    """Polls real file descriptors without waiting; a wait becomes a jump of virtual time."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready:
            return ready
        if timeout is None:
            raise Deadlock("every task is waiting and no timer is due: the test can never finish")
        # Float time: `now + (when - now)` can round below `when` and never reach it; step at
        # least one representable value so the loop always makes progress.
        now = self._clock._seconds
        self._clock._seconds = max(now + timeout, math.nextafter(now, math.inf))
        return []


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(_VirtualTimeSelector(clock))
        self._fake_clock = clock

    def time(self) -> float:
        return self._fake_clock._seconds


class FakeClock:
    """Implements `fleetops.rollout.clock.Clock` on virtual time, starting at `start_ms`."""

    def __init__(self, start_ms: int = 0) -> None:
        self._seconds = start_ms / 1000

    def now(self) -> int:
        """Virtual milliseconds."""
        return round(self._seconds * 1000)

    async def sleep(self, ms: int) -> None:
        """Sleep `ms` virtual milliseconds (only meaningful inside `run`)."""
        await asyncio.sleep(max(ms, 0) / 1000)

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run `main` to completion on a virtual-time event loop; return its result."""
        with asyncio.Runner(loop_factory=lambda: _VirtualTimeLoop(self)) as runner:
            return runner.run(main)
