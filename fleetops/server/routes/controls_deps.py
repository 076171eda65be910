"""The clock the deployment-control routes read (``app.state.clock`` when a test sets one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fleetops.clock import SYSTEM_CLOCK, Clock


def get_clock(request: Request) -> Clock:
    """``app.state.clock`` if set (tests move time with it), else the wall clock."""
    clock: Clock = getattr(request.app.state, "clock", SYSTEM_CLOCK)
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
