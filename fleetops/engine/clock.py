"""Time as the engine sees it: a protocol, the real clock, and a fake clock for tests.

Wait states, Retry intervals, timeouts and heartbeats all go through ``Clock.sleep``, so a test
drives them by moving a :class:`FakeClock` forward instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Protocol

from fleetops.clock import Clock as SharedClock


class Clock(SharedClock, Protocol):
    """What the engine needs from time: the shared clock (``fleetops.clock``), and a way to
    hold a fake one still while a task handler works."""

    def busy(self) -> AbstractContextManager[None]:
        """Mark work in progress outside the clock (a task handler running)."""
        ...


async def sleep_until(clock: Clock, due: datetime) -> None:
    """Sleep on ``clock`` until ``due`` (returns at once when it is already past)."""
    remaining = (due - clock.now()).total_seconds()
    if remaining > 0:
        await clock.sleep(remaining)


class SystemClock:
    """The wall clock and ``asyncio.sleep``."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        await asyncio.sleep(max(seconds, 0.0))

    def busy(self) -> AbstractContextManager[None]:
        """Real time passes anyway: nothing to mark."""
        return contextlib.nullcontext()


class FakeClock:
    """A clock that only moves when told to, or by itself when nothing else can run.

    With ``auto_advance=False`` sleepers wake when a test calls :meth:`advance`. With
    ``auto_advance=True`` the clock jumps to the earliest pending deadline whenever the event
    loop has nothing else to do and no task handler is running (see :meth:`busy`), so a 60 s
    Wait completes at once while timers still fire in the order their deadlines say (a 5 s
    execution timeout beats a 60 s Wait), and a handler's real work never looks like a timeout.
    """

    def __init__(self, start: datetime | None = None, *, auto_advance: bool = False) -> None:
        self._now = start if start is not None else datetime(2026, 1, 1, tzinfo=UTC)
        self._auto = auto_advance
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._driver: asyncio.Task[None] | None = None
        self._busy = 0

    def now(self) -> datetime:
        """The fake current time."""
        return self._now

    @property
    def pending(self) -> int:
        """How many sleepers are waiting (useful to let a test wait until a Wait is reached)."""
        return sum(1 for _, _, fut in self._sleepers if not fut.done())

    async def sleep(self, seconds: float) -> None:
        """Wait until the fake time has moved ``seconds`` forward."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        due = self._now + timedelta(seconds=seconds)
        heapq.heappush(self._sleepers, (due, next(self._seq), future))
        if self._auto and (self._driver is None or self._driver.done()):
            self._driver = asyncio.get_running_loop().create_task(self._drive())
        await future

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """While inside, auto-advance holds time still."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking every sleeper due on the way, in order."""
        target = self._now + timedelta(seconds=seconds)
        await _settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            due, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue
            self._now = max(self._now, due)
            future.set_result(None)
            await _settle()
        self._now = target

    async def _drive(self) -> None:
        while self._sleepers:
            # A whole settle must pass after the last handler finished, not just the rest of the
            # one it finished in: its result still has to reach the task racing this deadline.
            await _settle()
            while self._busy:
                while self._busy:
                    await asyncio.sleep(0.001)
                await _settle()
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                return
            due, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, due)
            future.set_result(None)


async def _settle() -> None:
    """Let every ready task run (and briefly let worker threads finish) before time moves."""
    for _ in range(20):
        await asyncio.sleep(0)
    await asyncio.sleep(0.001)
    for _ in range(20):
        await asyncio.sleep(0)
