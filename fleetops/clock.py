"""The one notion of time every layer shares: an aware UTC ``datetime`` and an async sleep.

The engine (Wait, Retry, timeouts), the control plane and ops read and sleep on a ``Clock``;
the rollout, whose rules are written in milliseconds, gets one converted at its boundary
(``fleetops.rollout.clock.MillisecondClock``). ``SystemClock`` is the real one; tests pass
``fleetops.testing.fake_clock.FakeClock`` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """The current time, a sleep measured on it, and a way to hold a fake one still while a
    task handler works."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return after ``seconds`` of this clock's time have passed."""
        ...

    def busy(self) -> AbstractContextManager[None]:
        """Mark work in progress outside the clock (a task handler running): a fake clock that
        jumps over waits holds still meanwhile, so the handler's real work is never a timeout."""
        ...


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


SYSTEM_CLOCK = SystemClock()
"""The real clock: what every ``clock`` argument defaults to."""


async def sleep_until(clock: Clock, due: datetime) -> None:
    """Sleep on ``clock`` until ``due`` (returns at once when it is already past)."""
    remaining = (due - clock.now()).total_seconds()
    if remaining > 0:
        await clock.sleep(remaining)
