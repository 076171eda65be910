"""Waiting in tests for a condition, not for a time.

A fixed ``time.sleep`` followed by an assertion guesses how long the machine takes; on a loaded
CI runner (2 cores, load average above 10) that guess is wrong often enough to turn a run red.
Waiting until the condition holds costs nothing when the machine is fast, so the deadline can
be generous: it only says how long to wait before declaring the code broken.

    instance = wait_until(lambda: provider.instance(bad.id).health is TargetHealth.UNHEALTHY,
                          what="the bad instance to fail its health checks")
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal, TypeVar

T = TypeVar("T")

DEADLINE = 30.0
"""Seconds to wait by default: far above what any condition takes on an idle machine."""


def wait_until(
    condition: Callable[[], T | Literal[False] | None],
    *,
    timeout: float = DEADLINE,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Call ``condition`` every ``interval`` seconds (or, when a call takes longer, as long as
    the call took) until it returns a truthy value, and return that value; raise AssertionError
    naming ``what`` and the last value after ``timeout`` seconds."""
    check_deadline = _deadline(timeout, what)
    while True:
        began = time.monotonic()
        if value := condition():
            return value
        check_deadline(value)
        # A condition that runs a process (the CLI, the aws cli: about half a second of CPU
        # each) polled every 50 ms keeps a core busy for as long as the wait lasts, on a machine
        # whose cores the other test workers need; pausing as long as the call took keeps
        # polling under half of that, and sees the change at most one call later.
        time.sleep(max(interval, time.monotonic() - began))


async def wait_until_async(
    condition: Callable[[], T | Literal[False] | None],
    *,
    timeout: float = DEADLINE,
    interval: float = 0.01,
    what: str = "condition",
) -> T:
    """``wait_until`` for a test running in an event loop: sleeps with ``asyncio.sleep``."""
    check_deadline = _deadline(timeout, what)
    while not (value := condition()):
        check_deadline(value)
        await asyncio.sleep(interval)
    return value


def _deadline(timeout: float, what: str) -> Callable[[object], None]:
    """A check that raises once ``timeout`` seconds have passed since it was made."""
    deadline = time.monotonic() + timeout

    def check(last: object) -> None:
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")

    return check
