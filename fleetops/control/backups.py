"""``Backups``: backups of the running environments' datastores, in the store's catalog.

On an aws environment, backups are the datastores' native snapshots (``control.aws_backups``:
RDS DB snapshots, ElastiCache snapshots), recorded with their ARNs.

``create`` takes a backup of one datastore of a running local environment into
``<env state>/backups/<datastore>/<id><suffix>`` (``fleetops.ops.backups.take``) and records its
size, sha256, tool and version, source position and contents; ``verify`` restores one into a
scratch server (``fleetops.ops.backups.verify``) and records verified or failed with its timing.
Runs on the server's worker threads (each call takes seconds: a dump, a scratch server).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.control.aws_backups import AwsBackups
from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.control.environments import Environments
from fleetops.errors import BadInput, FleetopsError, OperationFailed
from fleetops.ops.backups.pitr import BASE_SUFFIX, BASE_TOOL, recoverable_from, take_base_backup
from fleetops.ops.backups.take import SUFFIXES, take_backup
from fleetops.ops.backups.verify import sha256_of, verify_backup
from fleetops.ops.backups.verify_base import verify_base_backup
from fleetops.ops.backups.wal_retention import prune_archive, start_lsn
from fleetops.ops.notify import DeploymentEvent, EventKind, notify
from fleetops.providers.local.datastores import LocalDatastores
from fleetops.store import Store
from fleetops.store.backups import Backup

LOGICAL = "logical"
BASE = "base"
BACKUP_KINDS = (LOGICAL, BASE)


class Backups:
    """See the module docstring."""

    def __init__(
        self, store: Store, environments: Environments, *, clock: Clock = SYSTEM_CLOCK, poll_s: float = 15.0
    ) -> None:
        """``poll_s``: seconds between two looks while AWS makes or restores a snapshot."""
        self.store = store
        self.environments = environments
        self.clock = clock
        self.poll_s = poll_s

    def create(
        self,
        datastore: str,
        *,
        environment: str | None = None,
        backup_id: str | None = None,
        tag: str | None = None,
        kind: str = LOGICAL,
    ) -> Backup:
        """Back up ``datastore`` of ``environment`` (None: the only one running). ``backup_id``
        (default: a new one) already in the catalog: that backup, nothing taken again.
        ``kind``: ``logical`` (the engine's dump) or ``base`` (PostgreSQL: ``pg_basebackup``,
        what a point-in-time restore starts from)."""
        if kind not in BACKUP_KINDS:
            raise BadInput(f"backup kind {kind!r} is not one of {', '.join(BACKUP_KINDS)}")
        if backup_id is not None:
            found = self.store.backups.get(backup_id)
            if found is not None:
                return found
        runtime = self.environments.pick(environment)
        # The fleet the runtime runs (a drill's scratch copy has a fleet of its own).
        present = sorted(
            name
            for name, spec in runtime.fleet.datastores.items()
            if spec.environments is None or runtime.environment in spec.environments
        )
        if datastore not in present:
            raise BadInput(
                f"environment {runtime.environment!r} has no datastore {datastore!r} "
                f"(it has: {', '.join(present) or 'none'})"
            )
        now = self.clock.now()
        backup_id = backup_id or f"bk-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        if isinstance(runtime, AwsFleetRuntime):
            if kind == BASE:
                raise BadInput(
                    f"environment {runtime.environment!r} runs on aws: base backups are the local "
                    "sandbox's (RDS keeps its own point-in-time recovery)"
                )
            return self._create_on_aws(runtime, datastore, backup_id, tag)
        stores = self._datastores(runtime.environment, runtime)
        engine = stores.stores[datastore].kind
        if kind == BASE and engine != "postgres":
            raise BadInput(
                f"datastore {datastore!r} is {engine}: base backups (for point-in-time restores) "
                "are PostgreSQL's; take a logical one"
            )
        suffix = BASE_SUFFIX if kind == BASE else SUFFIXES.get(engine, "")
        path = stores.folder.parent / "backups" / datastore / f"{backup_id}{suffix}"
        started = time.monotonic()
        try:
            if kind == BASE:
                taken = take_base_backup(stores, datastore, path)
            else:
                taken = take_backup(stores, datastore, path)
        except (FleetopsError, OSError) as err:
            self._notify(EventKind.FAILED, runtime.environment, f"{datastore} {backup_id}", str(err))
            raise
        added = self.store.backups.add(
            Backup(
                backup_id=backup_id,
                environment=runtime.environment,
                datastore=datastore,
                kind=engine,
                created_at=now,
                duration_ms=round((time.monotonic() - started) * 1000),
                location=str(taken.path),
                size_bytes=taken.path.stat().st_size,
                sha256=sha256_of(taken.path),
                tool=taken.tool,
                tool_version=taken.tool_version,
                source_position=taken.source_position,
                contents=taken.contents,
                tag=tag,
            )
        )
        self._notify(EventKind.COMPLETED, runtime.environment, f"{datastore} {backup_id}", None)
        return added

    def _create_on_aws(
        self, runtime: AwsFleetRuntime, datastore: str, backup_id: str, tag: str | None
    ) -> Backup:
        """A native snapshot (``control.aws_backups``), recorded with its ARN."""
        now = self.clock.now()
        kind = runtime.fleet.datastores[datastore].kind.value
        started = time.monotonic()
        try:
            taken = self.on_aws(runtime).take(datastore, backup_id, kind=kind, tag=tag, now=now)
        except FleetopsError as err:
            self._notify(EventKind.FAILED, runtime.environment, f"{datastore} {backup_id}", str(err))
            raise
        added = self.store.backups.add(replace(taken, duration_ms=round((time.monotonic() - started) * 1000)))
        self._notify(EventKind.COMPLETED, runtime.environment, f"{datastore} {backup_id}", None)
        return added

    def on_aws(self, runtime: AwsFleetRuntime) -> AwsBackups:
        """The snapshots of aws environment ``runtime``'s datastores."""
        return AwsBackups(
            runtime.fleet, runtime.environment, runtime.clients, clock=self.clock, poll_s=self.poll_s
        )

    def list(self, *, environment: str | None = None, datastore: str | None = None) -> list[Backup]:
        """The catalog, newest first."""
        return self.store.backups.list(environment=environment, datastore=datastore)

    def verify(self, backup_id: str) -> Backup:
        """Verify backup ``backup_id`` by restore and record the outcome (``verify_status``)."""
        backup = self.store.backups.get(backup_id)
        if backup is None:
            raise BadInput(f"no backup {backup_id!r} in the catalog (see `fleetops backup list`)")
        started = time.monotonic()
        runtime = self.environments.get(backup.environment)
        if isinstance(runtime, AwsFleetRuntime):
            return self._verify_on_aws(runtime, backup)
        if backup.tool == BASE_TOOL:
            # The copy is reached as the cluster's own user: the environment's datastore says who.
            store = self.datastores_of(backup.environment).stores[backup.datastore]
            outcome = verify_base_backup(
                Path(backup.location),
                sha256=backup.sha256,
                tables=backup.contents,
                user=store.user,
                database=store.database,
            )
        else:
            outcome = verify_backup(
                backup.kind, Path(backup.location), sha256=backup.sha256, expected=backup.contents
            )
        if not outcome.ok:
            self._notify(
                EventKind.VERIFY_FAILED,
                backup.environment,
                f"{backup.datastore} {backup.backup_id}",
                outcome.detail,
            )
        return self.store.backups.record_verification(
            backup,
            status="verified" if outcome.ok else "failed",
            at=self.clock.now(),
            duration_ms=round((time.monotonic() - started) * 1000),
            detail=f"{outcome.detail} (restore {outcome.restore_ms} ms)"
            if outcome.restore_ms
            else outcome.detail,
        )

    def _verify_on_aws(self, runtime: AwsFleetRuntime, backup: Backup) -> Backup:
        """A scratch instance restored from the snapshot, checked, deleted (``AwsBackups.verify``)."""
        started = time.monotonic()
        outcome = self.on_aws(runtime).verify(backup)
        if not outcome.ok:
            self._notify(
                EventKind.VERIFY_FAILED,
                backup.environment,
                f"{backup.datastore} {backup.backup_id}",
                outcome.detail,
            )
        return self.store.backups.record_verification(
            backup,
            status="verified" if outcome.ok else "failed",
            at=self.clock.now(),
            duration_ms=round((time.monotonic() - started) * 1000),
            detail=outcome.detail,
        )

    def discard(self, backup: Backup) -> None:
        """Delete a backup: its file (on aws, its snapshot: DeleteDBSnapshot, DeleteSnapshot),
        then its catalog entry."""
        runtime = self.environments.get(backup.environment)
        if isinstance(runtime, AwsFleetRuntime) and backup.tool.startswith(("rds:", "elasticache:")):
            self.on_aws(runtime).delete(backup)
        else:
            Path(backup.location).unlink(missing_ok=True)
        self.store.backups.delete(backup.backup_id)

    def prune_wal(self, environment: str, datastore: str) -> tuple[str, ...]:
        """Delete the archived WAL of a local PostgreSQL ``datastore`` that precedes its oldest
        base backup in the catalog (``fleetops.ops.backups.wal_retention``): the file names
        deleted; none without a base backup."""
        stores = self.datastores_of(environment)
        if stores.stores[datastore].kind != "postgres":
            return ()
        bases = [
            b
            for b in self.store.backups.list(environment=environment, datastore=datastore, limit=100_000)
            if b.tool == BASE_TOOL
        ]
        starts = [start for b in bases if (start := start_lsn(b.source_position)) is not None]
        if len(starts) != len(bases) or not starts:
            return ()  # a base backup whose start is unknown: keep everything
        oldest = min(bases, key=lambda b: (b.created_at, b.backup_id))
        start = start_lsn(oldest.source_position)
        return () if start is None else tuple(prune_archive(stores, datastore, start))

    def _notify(self, kind: EventKind, environment: str, what: str, reason: str | None) -> None:
        """``backup.<kind>`` to the fleet file's channels that list it (a delivery problem is
        recorded by the notifications, never raised)."""
        fleet = self.environments.fleet
        if fleet is None or not fleet.notifications:
            return
        event = DeploymentEvent(
            kind=kind,
            environment=environment,
            execution_id=what,
            at=self.clock.now(),
            reason=reason,
            operation="backup",
        )
        notify(
            self.store,
            fleet.notifications,
            [event],
            secret_values=self.environments.secret_values(environment),
            clock=self.clock,
        )

    def checked(self, backup_id: str, *, environment: str, datastore: str) -> Backup:
        """The catalog entry of ``backup_id``, its file's sha256 checked against the catalog's:
        ``BadInput`` (nothing is done with it) when it is not a backup of ``datastore`` in
        ``environment`` (or in the environment it stands by for), or its file is missing or
        damaged."""
        backup = self.store.backups.get(backup_id)
        if backup is None:
            raise BadInput(f"no backup {backup_id!r} in the catalog (see `fleetops backup list`)")
        runtime = self.environments.get(environment)
        # A standby (and a drill's scratch copy) may be restored from its primary's backups.
        settings = None if runtime is None else runtime.fleet.environments.get(environment)
        source = None if settings is None else settings.standby_for
        if backup.datastore != datastore or backup.environment not in (environment, source):
            raise BadInput(
                f"backup {backup_id} is of {backup.datastore!r} in {backup.environment!r}, "
                f"not of {datastore!r} in {environment!r}"
            )
        if isinstance(runtime, AwsFleetRuntime):
            self.on_aws(runtime).check(backup)  # a native snapshot: no file, AWS keeps it
            return backup
        path = Path(backup.location)
        if not path.is_file():
            raise BadInput(f"backup {backup_id}: its file {path} is missing; nothing was restored")
        actual = sha256_of(path)
        if actual != backup.sha256:
            raise BadInput(
                f"backup {backup_id} is damaged: its file's sha256 is {actual}, the catalog's "
                f"{backup.sha256}; it was not restored and nothing was changed"
            )
        return backup

    def base_backup_before(self, datastore: str, moment: datetime, *, environment: str) -> Backup:
        """The newest base backup of ``datastore`` in ``environment`` that ended before
        ``moment``, its file checked (see :meth:`checked`); ``BadInput`` saying when the oldest
        one can reach from when there is none."""
        bases = [
            b
            for b in self.store.backups.list(environment=environment, datastore=datastore, limit=10_000)
            if b.tool == BASE_TOOL
        ]
        usable = [b for b in bases if recoverable_from(b.created_at, b.duration_ms) <= moment]
        if not usable:
            if not bases:
                raise BadInput(
                    f"{datastore!r} in {environment!r} has no base backup to restore to "
                    f"{moment.isoformat()} from: take one with `fleetops backup create {datastore} "
                    "--kind base` (a restore can reach any time after it)"
                )
            oldest = bases[-1]
            raise BadInput(
                f"to_time {moment.isoformat()} is before the oldest base backup of {datastore!r} "
                f"({oldest.backup_id}): the earliest time a restore can reach is "
                f"{recoverable_from(oldest.created_at, oldest.duration_ms).isoformat()}"
            )
        return self.checked(usable[0].backup_id, environment=environment, datastore=datastore)

    def datastores_of(self, environment: str) -> LocalDatastores:
        """The local datastores of running ``environment``; ``OperationFailed`` for an aws one."""
        return self._datastores(environment, self.environments.runtime_for(environment))

    def _datastores(self, environment: str, runtime: object) -> LocalDatastores:
        # Any runtime with local datastores (a FleetRuntime; an in-memory one in tests).
        stores = getattr(runtime, "datastores", None)
        if not isinstance(stores, LocalDatastores):
            raise OperationFailed(f"environment {environment!r} does not run its datastores on this machine")
        return stores
