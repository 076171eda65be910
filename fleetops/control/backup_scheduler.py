"""``BackupScheduler``: the fleet file's ``backup: {every, keep, retention, verify}`` acted on.

Every ``interval_s`` (and once as soon as it starts, so a schedule missed while the control
plane was down runs then, once) it looks at each running local environment's datastores: a
datastore whose newest scheduled backup is ``every`` old (or that has none) is backed up
(tagged ``scheduled``), verified by restore when ``verify`` is on, and its scheduled backups
beyond ``keep`` or older than ``retention`` are deleted, file and catalog entry, never the
newest verified one (``fleetops.ops.backups.schedule``). ``kind: base`` schedules PostgreSQL base
backups; a local PostgreSQL's archived WAL older than its oldest kept base backup is deleted at
each look (``fleetops.ops.backups.wal_retention``). A datastore being restored (the
environment's lock held by a restore execution) is left alone until the restore ends. A backup
that fails is notified (``backup.failed``) and tried again at the next look. An aws
environment's datastores with an ``aws:`` block are kept the same way with native snapshots
(``control.aws_backups``: a deleted backup is DeleteDBSnapshot or DeleteSnapshot).

Runs on the server's event loop; each look runs in a worker thread (a backup takes seconds).
Time comes from the project's one ``Clock``, so tests drive it with a fake one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fleetops.clock import Clock
from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.control.backups import LOGICAL, Backups
from fleetops.control.environments import Environments
from fleetops.errors import FleetopsError
from fleetops.ops.backups.schedule import SCHEDULED, due, expired
from fleetops.providers.local.datastores import LocalDatastores
from fleetops.spec.resources import Backup as BackupSchedule
from fleetops.store import Store
from fleetops.store.backups import Backup

log = logging.getLogger(__name__)

RESTORE_PREFIX = "restore-"
"""The execution names of the restore runbook (the lock owner while one runs)."""


@dataclass(frozen=True)
class Look:
    """What one look did for one datastore."""

    environment: str
    datastore: str
    taken: Backup | None
    deleted: tuple[str, ...]
    error: str | None = None
    pruned_wal: tuple[str, ...] = ()
    """The archived WAL files deleted (older than the oldest kept base backup)."""


class BackupScheduler:
    """See the module docstring."""

    def __init__(
        self, store: Store, environments: Environments, *, clock: Clock, interval_s: float = 60.0
    ) -> None:
        self.store = store
        self.environments = environments
        self.clock = clock
        self.interval_s = interval_s
        self.backups = Backups(store, environments, clock=clock)

    def step(self) -> list[Look]:
        """One look at every running local environment's datastores (see the module docstring)."""
        looks = []
        for environment in self.environments.names():
            runtime = self.environments.get(environment)
            if isinstance(runtime, AwsFleetRuntime) and not self._restoring(environment):
                # Native snapshots, of the datastores in this environment that name their resource.
                for name, spec in runtime.fleet.datastores.items():
                    here = spec.environments is None or environment in spec.environments
                    if spec.backup is not None and spec.aws is not None and here:
                        looks.append(self._one(environment, name, spec.backup))
                continue
            stores = getattr(runtime, "datastores", None)
            if runtime is None or not isinstance(stores, LocalDatastores) or self._restoring(environment):
                continue
            for name, spec in runtime.fleet.datastores.items():
                if spec.backup is not None and name in stores.stores:
                    looks.append(self._one(environment, name, spec.backup))
        return looks

    async def run(self) -> None:
        """Look now, then every ``interval_s`` of the clock, until cancelled."""
        while True:
            try:
                await asyncio.to_thread(self.step)
            except Exception:  # one bad look must not end the schedule
                log.exception("scheduled backups: a look failed")
            await self.clock.sleep(self.interval_s)

    def _restoring(self, environment: str) -> bool:
        lock = self.store.locks.get(environment)
        return (
            lock is not None and not lock.expired(self.clock.now()) and lock.owner.startswith(RESTORE_PREFIX)
        )

    def _one(self, environment: str, name: str, schedule: BackupSchedule) -> Look:
        import psycopg

        now = self.clock.now()
        newest = self.store.backups.list(environment=environment, datastore=name, tag=SCHEDULED, limit=1)
        taken = None
        if due(newest[0].created_at if newest else None, schedule.every, now):
            # A base backup is the sandbox's (pg_basebackup); on aws the snapshot is native.
            kind = (
                LOGICAL if isinstance(self.environments.get(environment), AwsFleetRuntime) else schedule.kind
            )
            try:
                taken = self.backups.create(name, environment=environment, tag=SCHEDULED, kind=kind)
                if schedule.verify:
                    taken = self.backups.verify(taken.backup_id)
            except FleetopsError as err:  # notified by Backups; tried again at the next look
                log.warning("scheduled backup of %s in %s failed: %s", name, environment, err.message)
                return Look(environment, name, taken, (), err.message)
        victims = expired(
            self.store.backups.list(environment=environment, datastore=name, limit=100_000),
            keep=schedule.keep,
            retention=schedule.retention,
            now=self.clock.now(),
        )
        for victim in victims:
            self.backups.discard(victim)
        pruned: tuple[str, ...] = ()
        if not isinstance(self.environments.get(environment), AwsFleetRuntime):
            try:
                pruned = self.backups.prune_wal(environment, name)
            except (FleetopsError, OSError, psycopg.Error) as err:  # the next look tries again
                log.warning("WAL archive of %s in %s not pruned: %s", name, environment, err)
        return Look(environment, name, taken, tuple(v.backup_id for v in victims), pruned_wal=pruned)
