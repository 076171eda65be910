"""``FakeClock``: the one fake ``fleetops.clock.Clock``; it jumps over waits and keeps exact time.

Two ways to move it, for the two kinds of code under test:

- ``clock.run(main)`` runs a coroutine on an event loop whose time is virtual: when every task
  is waiting for a timer, the loop jumps to the earliest one instead of blocking.
  ``asyncio.sleep``, ``asyncio.wait_for`` timeouts and ``clock.sleep`` all run on that time, so
  a rollout's hour of checkpoint delay takes microseconds and lands on the exact millisecond.
  If every task waits and no timer is due, nothing can ever happen: ``run`` raises
  ``Deadlock`` instead of hanging the test. For code that runs on the loop alone (a rollout).
- On an ordinary event loop (the engine's, whose task handlers run in worker threads), sleepers
  wake when a test calls ``advance``, or, with ``auto_advance=True``, the clock jumps to the
  earliest pending deadline whenever the loop has nothing else to do and no task handler is
  running (``busy``) or has just ended (its result is carried on first, however short it ran):
  a 60 s Wait completes at once while timers still fire in the order their deadlines say (a 5 s
  execution timeout beats a 60 s Wait).
- For synchronous code (locks, maintenance windows, notifications, alarms), a test sets the time
  with ``move_to`` or ``step``, and passes ``sleep=clock.blocking_sleep`` where the code sleeps
  in its thread: the time moves at once and ``slept`` lists every such sleep.

    clock = FakeClock()
    status = clock.run(refresh.run())
    assert clock.now() == START + timedelta(minutes=10)

Code that counts milliseconds (``fleetops.rollout``) reads it through
``fleetops.rollout.MillisecondClock(clock)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import selectors
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")

START = datetime(2026, 1, 1, tzinfo=UTC)
"""Where a ``FakeClock`` starts unless told otherwise."""


def at_ms(ms: int) -> datetime:
    """The time ``ms`` milliseconds after the Unix epoch: where rollout tests start a clock, so
    its ``MillisecondClock`` reads small round numbers."""
    return datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=ms)


class Deadlock(RuntimeError):
    """Every task waits and no timer is scheduled: the fake world can never move again."""


class FakeClock:
    """A ``Clock`` that only moves when told to, or by itself when nothing else can run."""

    def __init__(self, start: datetime | None = None, *, auto_advance: bool = False) -> None:
        self._now = start if start is not None else START
        self._auto = auto_advance
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._driver: asyncio.Task[None] | None = None
        self._busy = 0
        # Busy sections ended so far. The driver compares it across a settle: a handler can start
        # and end between two of its looks at ``_busy`` (its whole thread run inside one settle).
        self._ended = 0
        # The virtual loop of ``run`` counts float seconds from ``_origin`` (small numbers keep
        # float steps exact); ``_now`` follows it, rounded to the microsecond.
        self._origin = self._now
        self._seconds = 0.0
        self._loop: _VirtualTimeLoop | None = None
        self.slept: list[float] = []
        """Every ``blocking_sleep``, in seconds."""

    def now(self) -> datetime:
        """The fake current time (aware UTC)."""
        return self._now

    @property
    def pending(self) -> int:
        """How many sleepers are waiting (useful to let a test wait until a Wait is reached)."""
        return sum(1 for _, _, fut in self._sleepers if not fut.done())

    async def sleep(self, seconds: float) -> None:
        """Wait until the fake time has moved ``seconds`` forward."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            await asyncio.sleep(max(seconds, 0))
            return
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = loop.create_future()
        due = self._now + timedelta(seconds=seconds)
        heapq.heappush(self._sleepers, (due, next(self._seq), future))
        if self._auto and (self._driver is None or self._driver.done()):
            self._driver = loop.create_task(self._drive())
        await future

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """While inside, auto-advance holds time still."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            self._ended += 1

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

    def move_to(self, moment: datetime) -> None:
        """Set the time (for synchronous code under test; wakes no sleeper)."""
        self._now = moment

    def step(self, delta: timedelta) -> None:
        """Move the time forward by ``delta`` (for synchronous code under test; wakes no sleeper)."""
        self._now += delta

    def blocking_sleep(self, seconds: float) -> None:
        """A synchronous sleep on this clock: record it in ``slept`` and move the time by it, at once."""
        self.slept.append(seconds)
        self._now += timedelta(seconds=seconds)

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run ``main`` to completion on a virtual-time event loop; return its result."""
        self._origin, self._seconds = self._now, 0.0
        with asyncio.Runner(loop_factory=lambda: _VirtualTimeLoop(self)) as runner:
            return runner.run(main)

    def _jump(self, timeout: float) -> None:
        # Float time: ``now + (when - now)`` can round below ``when`` and never reach it; step at
        # least one representable value so the loop always makes progress.
        now = self._seconds
        self._seconds = max(now + timeout, math.nextafter(now, math.inf))
        self._now = self._origin + timedelta(seconds=self._seconds)

    async def _drive(self) -> None:
        while self._sleepers:
            await self._quiet()
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                return
            due, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, due)
            future.set_result(None)

    async def _quiet(self) -> None:
        """Return once a whole settle has passed in which no handler ran or ended.

        A whole settle after the last handler ended, not just the rest of the one it ended in:
        its result still has to reach the task racing the next deadline (a runbook's next Wait
        entered one jump late shifts every later poll). Looking at ``_busy`` alone misses a
        handler that started and ended within one settle (its thread ran while this one slept),
        so ``_ended`` is compared too."""
        while True:
            while self._busy:
                await asyncio.sleep(0.001)
            ended = self._ended
            await _settle()
            if not self._busy and self._ended == ended:
                return


async def _settle() -> None:
    """Let every ready task run (and briefly let worker threads finish) before time moves."""
    for _ in range(20):
        await asyncio.sleep(0)
    await asyncio.sleep(0.001)
    for _ in range(20):
        await asyncio.sleep(0)


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
        self._clock._jump(timeout)
        return []


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on the clock's virtual time (only public asyncio API: a
    ``SelectorEventLoop`` accepts the selector it waits on, and this one never waits)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(_VirtualTimeSelector(clock))
        self._fake_clock = clock
        clock._loop = self

    def time(self) -> float:
        return self._fake_clock._seconds
