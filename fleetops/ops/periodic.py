"""``Periodic``: one background daemon thread calling a step every interval until stopped.

The control plane's background loops (autoscaling, alarm evaluation) share this lifecycle; each
step decides itself what a failure means (suppressed, logged), so the thread never dies of one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Periodic:
    """Calls ``step`` every ``interval()`` seconds in a daemon thread named ``name``."""

    def __init__(self, name: str, step: Callable[[], None], interval: Callable[[], float]) -> None:
        self.name = name
        self._step = step
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (idempotent)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, waiting up to 10 s for a step under way (idempotent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval()):
            self._step()
