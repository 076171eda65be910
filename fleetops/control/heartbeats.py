"""``HeartbeatWriter``: every running local environment whose fleet file has a ``drills:``
block gets its PostgreSQL and SQLite datastores stamped every ``drills.heartbeat``
(``fleetops.ops.drills.heartbeat``), so the stamp a restore leaves says how much data was lost.

A drill pauses the stamps of the datastore it destroys (:meth:`pause`) until it has read the
stamp the restore left, which a new stamp would otherwise overwrite. A stamp that fails (a
datastore down, being restored) is skipped: the next one is a heartbeat later.

Runs on its own daemon thread (``Periodic``), ticking every 100 ms and stamping each datastore
when its interval has passed. Time comes from the project's one ``Clock``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import datetime

import psycopg

from fleetops.clock import Clock
from fleetops.control.environments import Environments
from fleetops.errors import FleetopsError
from fleetops.ops.drills.heartbeat import STAMPED_KINDS, stamp
from fleetops.ops.periodic import Periodic
from fleetops.providers.local.datastores import LocalDatastores

log = logging.getLogger(__name__)

TICK_S = 0.1


class HeartbeatWriter:
    """See the module docstring."""

    def __init__(self, environments: Environments, *, clock: Clock) -> None:
        self.environments = environments
        self.clock = clock
        self._paused: set[tuple[str, str]] = set()
        self._last: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()
        self._periodic = Periodic("heartbeats", self._tick, lambda: TICK_S)

    def start(self) -> None:
        """Start stamping (idempotent)."""
        self._periodic.start()

    def stop(self) -> None:
        """Stop stamping (idempotent)."""
        self._periodic.stop()

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
        stamped = 0
        now = self.clock.now()
        for environment in self.environments.names():
            runtime = self.environments.get(environment)
            stores = getattr(runtime, "datastores", None)
            if runtime is None or runtime.fleet.drills is None or not isinstance(stores, LocalDatastores):
                continue
            every = runtime.fleet.drills.heartbeat
            for name, store in stores.stores.items():
                key = (environment, name)
                last = self._last.get(key)
                if store.kind not in STAMPED_KINDS or self.paused(*key) or (last and now - last < every):
                    continue
                self._last[key] = now
                try:
                    stamp(stores, name, now)
                    stamped += 1
                except (psycopg.Error, sqlite3.Error, OSError, FleetopsError) as err:
                    log.debug("heartbeat of %s in %s skipped: %s", name, environment, err)
        return stamped
