"""``QuietServer``: uvicorn's server, its main loop awake once a second instead of ten times.

uvicorn's ``Server.main_loop`` sleeps 100 ms between ticks to refresh the ``Date`` header (once a
second) and to notice ``should_exit``: ten wake-ups a second of an idle process, about 0.002 of a
core each (measured in ``bench/idle.py``). Here the loop waits up to a second (the header's
resolution, as before) or until a stop signal wakes it at once, so a SIGINT/SIGTERM still stops
the server as promptly as uvicorn's own loop does. Runs on the server's event loop (main thread).
"""

from __future__ import annotations

import asyncio
import contextlib
from types import FrameType

import uvicorn

TICK_SECONDS = 1.0
"""How often the loop refreshes the Date header and checks ``should_exit`` with no signal."""
_UVICORN_TICKS_PER_SECOND = 10
"""``on_tick`` refreshes the headers when its counter is a multiple of this (its 100 ms ticks)."""


class QuietServer(uvicorn.Server):
    """A ``uvicorn.Server`` whose main loop wakes once a second or on a stop signal."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_SECONDS)
            self._wake.clear()
            counter = (counter + _UVICORN_TICKS_PER_SECOND) % 864000
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # A signal handler runs between bytecodes of the main thread, maybe inside the event
        # loop's own code: the thread-safe call only queues the wake-up and writes the loop's
        # self-pipe.
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)
