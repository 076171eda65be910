"""The clock a rollout reads and sleeps on, in integer milliseconds.

Every timing rule of a rollout (warmup, checkpoint delay, bake time, deregistration delay, health
check interval) is expressed against this protocol, so tests run them on
`MillisecondClock(fleetops.testing.fake_clock.FakeClock())` instantly and deterministically. In production the
control plane's clock (``fleetops.clock.Clock``, aware datetimes and seconds) becomes one at the
rollout's boundary through `MillisecondClock`.
"""

from __future__ import annotations

from typing import Protocol

from fleetops.clock import Clock as SharedClock


class Clock(Protocol):
    """Milliseconds since the Unix epoch, and an asyncio sleep measured in milliseconds."""

    def now(self) -> int:
        """The current time in milliseconds since the Unix epoch."""
        ...

    async def sleep(self, ms: int) -> None:
        """Return after `ms` milliseconds (at once for `ms <= 0`)."""
        ...


class MillisecondClock:
    """A rollout `Clock` read from, and sleeping on, the shared clock (``fleetops.clock``)."""

    def __init__(self, clock: SharedClock) -> None:
        self._clock = clock

    def now(self) -> int:
        """Milliseconds since the epoch, on the shared clock."""
        return round(self._clock.now().timestamp() * 1000)

    async def sleep(self, ms: int) -> None:
        """Sleep `ms` milliseconds of the shared clock."""
        await self._clock.sleep(max(ms, 0) / 1000)
