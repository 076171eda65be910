"""``HeartbeatWriter``: every running local environment whose fleet file has a ``drills:``
block gets its PostgreSQL and SQLite datastores stamped every ``drills.heartbeat``
(``fleetops.ops.drills.heartbeat``; a PostgreSQL connection is kept between stamps), so the
stamp a restore leaves says how much data was lost.

A drill pauses the stamps of the datastore it destroys (:meth:`pause`) until it has read the
stamp the restore left, which a new stamp would otherwise overwrite. A stamp that fails (a
datastore down, being restored) is skipped: the next one is a heartbeat later.

Runs on its own daemon thread (``Periodic``), waking when the next stamp is due (at least 100 ms
and at most a second apart: an environment started or a datastore resumed meanwhile is stamped
within a second) and stamping each datastore whose interval has passed; it ticked every 100 ms,
ten wake-ups a second of an idle control plane for one stamp. Time comes from the project's one
``Clock``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import datetime

from fleetops.clock import Clock
from fleetops.control.environments import Environments
from fleetops.errors import FleetopsError
from fleetops.ops.drills.heartbeat import STAMPED_KINDS, Stamper
from fleetops.ops.periodic import Periodic
from fleetops.providers.local.datastores import LocalDatastores

log = logging.getLogger(__name__)

TICK_S = 0.1
"""The shortest wait between two steps."""
LONGEST_WAIT_S = 1.0
"""The longest wait between two steps."""


class HeartbeatWriter:
    """See the module docstring."""

    def __init__(self, environments: Environments, *, clock: Clock) -> None:
        self.environments = environments
        self.clock = clock
        self._paused: set[tuple[str, str]] = set()
        self._last: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()
        self._stamper = Stamper()
        """Keeps a PostgreSQL connection per stamped datastore (touched on this thread only)."""
        self._wait_s = TICK_S
        """Seconds from the last step to the next: until the soonest stamp due, within bounds."""
        self._periodic = Periodic("heartbeats", self._tick, lambda: self._wait_s)

    def start(self) -> None:
        """Start stamping (idempotent)."""
        self._periodic.start()

    def stop(self) -> None:
        """Stop stamping (idempotent)."""
        self._periodic.stop()
        self._stamper.close()

    def pause(self, environment: str, datastore: str) -> None:
        """No stamp of ``datastore`` until :meth:`resume`."""
        with self._lock:
            self._paused.add((environment, datastore))

    def resume(self, environment: str, datastore: str) -> None:
        """Stamp ``datastore`` again."""
        with self._lock:
            self._paused.discard((environment, datastore))

    def paused(self, environment: str, datastore: str) -> bool:
        """Whether ``datastore``'s stamps are paused."""
        with self._lock:
            return (environment, datastore) in self._paused

    def _tick(self) -> None:
        self.step()

    def step(self) -> int:
        """Stamp every datastore whose interval has passed; how many were stamped."""
        import psycopg

        stamped = 0
        now = self.clock.now()
        soonest = LONGEST_WAIT_S
        stamping: set[tuple[str, str]] = set()
        for environment in self.environments.names():
            runtime = self.environments.get(environment)
            stores = getattr(runtime, "datastores", None)
            if runtime is None or runtime.fleet.drills is None or not isinstance(stores, LocalDatastores):
                continue
            every = runtime.fleet.drills.heartbeat
            for name, store in stores.stores.items():
                key = (environment, name)
                last = self._last.get(key)
                if store.kind not in STAMPED_KINDS or self.paused(*key):
                    continue
                stamping.add(key)
                if last and now - last < every:
                    soonest = min(soonest, (last + every - now).total_seconds())
                    continue
                soonest = min(soonest, every.total_seconds())
                self._last[key] = now
                try:
                    self._stamper.stamp(key, stores, name, now)
                    stamped += 1
                except (psycopg.Error, sqlite3.Error, OSError, FleetopsError) as err:
                    log.debug("heartbeat of %s in %s skipped: %s", name, environment, err)
        # No connection is held to a datastore a drill has paused (it is about to destroy it) or
        # to one whose environment has stopped.
        self._stamper.keep_only(stamping)
        self._wait_s = max(TICK_S, soonest)
        return stamped
