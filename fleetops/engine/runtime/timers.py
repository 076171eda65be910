"""Racing a task against its TimeoutSeconds and HeartbeatSeconds on the engine's clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from fleetops.clock import Clock, sleep_until


class Expired(Exception):
    """A timer ran out first: ``kind`` is ``timeout`` or ``heartbeat``."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


async def race(
    work: Awaitable[Any],
    clock: Clock,
    *,
    timeout: float | None,
    heartbeat: float | None = None,
    beats: asyncio.Event | None = None,
) -> Any:
    """``await work``, unless ``timeout`` passes, or ``heartbeat`` passes without a beat."""
    main = asyncio.ensure_future(work)
    start = clock.now()
    timeout_due = start + timedelta(seconds=timeout) if timeout is not None else None
    beat_due = start + timedelta(seconds=heartbeat) if heartbeat is not None else None
    try:
        while True:
            deadlines = [
                (d, k) for d, k in ((timeout_due, "timeout"), (beat_due, "heartbeat")) if d is not None
            ]
            helpers: list[asyncio.Future[Any]] = []
            timer = beat = None
            if deadlines:
                due, kind = min(deadlines)
                timer = asyncio.ensure_future(sleep_until(clock, due))
                helpers.append(timer)
            if beats is not None and heartbeat is not None:
                beat = asyncio.ensure_future(beats.wait())
                helpers.append(beat)
            try:
                done, _ = await asyncio.wait({main, *helpers}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for helper in helpers:
                    helper.cancel()
            if main in done:
                return main.result()
            if beat is not None and beat in done and beats is not None and heartbeat is not None:
                beats.clear()
                beat_due = clock.now() + timedelta(seconds=heartbeat)
                continue
            raise Expired(kind)
    finally:
        if not main.done():
            main.cancel()
