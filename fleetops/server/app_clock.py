"""The clock a request reads: ``app.state.clock`` (the control plane's; a test sets a fake one
there to move time), so every route, the AWS protocols and token checks agree on "now"."""

from __future__ import annotations

from fastapi import Request

from fleetops.clock import SYSTEM_CLOCK, Clock


def app_clock(request: Request) -> Clock:
    """``app.state.clock``, else the wall clock (an app that set none)."""
    clock: Clock = getattr(request.app.state, "clock", SYSTEM_CLOCK)
    return clock
