"""``SteadyClients``: the drills' steady client, one per running drill, requesting each affected
service's URL every 100 ms and counting what failed (a connection error, a timeout of 2 s, or
an answer that is not 2xx), with the first and last failure's times.

A drill starts its client before the outage and stops it once the services are healthy again
(``start`` and ``stop`` are idempotent, keyed by the drill's execution). The clients run on
daemon threads (``Periodic``); a control plane that stops loses them (the drill's report then
says its client was lost).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from fleetops.clock import Clock
from fleetops.ops.drills.report import ClientCounts
from fleetops.ops.periodic import Periodic

INTERVAL_S = 0.1
TIMEOUT_S = 2.0


@dataclass
class _Client:
    urls: tuple[str, ...]
    clock: Clock
    sent: int = 0
    failed: int = 0
    first_failure: datetime | None = None
    last_failure: datetime | None = None
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=TIMEOUT_S))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self) -> None:
        for url in self.urls:
            try:
                ok = self.http.get(url).is_success
            except httpx.HTTPError:
                ok = False
            now = self.clock.now()
            with self.lock:
                self.sent += 1
                if not ok:
                    self.failed += 1
                    self.first_failure = self.first_failure or now
                    self.last_failure = now

    def counts(self) -> ClientCounts:
        with self.lock:
            return ClientCounts(self.sent, self.failed, self.first_failure, self.last_failure)


class SteadyClients:
    """See the module docstring."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._running: dict[str, tuple[_Client, Periodic]] = {}
        self._lock = threading.Lock()

    def start(self, key: str, urls: Sequence[str]) -> None:
        """Start requesting ``urls`` for drill ``key`` (nothing when it runs already)."""
        with self._lock:
            if key in self._running:
                return
            client = _Client(tuple(urls), self.clock)
            periodic = Periodic(f"drill-client-{key}", client.step, lambda: INTERVAL_S)
            self._running[key] = (client, periodic)
        periodic.start()

    def counts(self, key: str) -> ClientCounts | None:
        """What drill ``key``'s client saw so far; None when it does not run here."""
        with self._lock:
            found = self._running.get(key)
        return None if found is None else found[0].counts()

    def stop(self, key: str) -> ClientCounts | None:
        """Stop drill ``key``'s client; what it saw (None when it did not run here)."""
        with self._lock:
            found = self._running.pop(key, None)
        if found is None:
            return None
        client, periodic = found
        periodic.stop()
        client.http.close()
        return client.counts()

    def stop_all(self) -> None:
        """Stop every client (the control plane stops)."""
        for key in list(self._running):
            self.stop(key)
