"""A hand-moved wall clock for code that takes ``clock: Now`` (``fleetops.ops.clock``).

Pass it as ``clock=clock, sleep=clock.sleep``: sleeping moves its time at once, and
``clock.advance(timedelta(hours=2))`` lets a lease or a maintenance window run out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class StepClock:
    """Stays at its time until ``advance`` or ``sleep`` moves it; ``slept`` lists every sleep."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the time forward by ``delta``."""
        self.now += delta

    def sleep(self, seconds: float) -> None:
        """Record the sleep and move the time by it, at once."""
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)
