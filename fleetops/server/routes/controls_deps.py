"""The clock the deployment-control routes read (``app.state.clock`` when a test sets one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fleetops.ops.clock import Now, utc_now


def get_clock(request: Request) -> Now:
    """``app.state.clock`` if set (tests move time with it), else the wall clock."""
    clock: Now = getattr(request.app.state, "clock", utc_now)
    return clock


ClockDep = Annotated[Now, Depends(get_clock)]
