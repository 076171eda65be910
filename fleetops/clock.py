"""The one notion of time every layer shares: an aware UTC ``datetime`` and an async sleep.

The engine (Wait, Retry, timeouts), the control plane and ops read and sleep on a ``Clock``;
the rollout, whose rules are written in milliseconds, gets one converted at its boundary
(``fleetops.rollout.clock.MillisecondClock``). Tests pass a fake one instead of sleeping.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The current time and a sleep measured on it."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return after ``seconds`` of this clock's time have passed."""
        ...
