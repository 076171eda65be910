"""``AwsBackups``: backups and restores of an aws environment's datastores, as native snapshots.

A datastore's ``aws:`` block names its resource: ``rds_instance`` (DB snapshots; restores from a
snapshot or a point in time, ``fleetops.providers.aws.rds``) or ``elasticache_cluster``
(ElastiCache snapshots, ``fleetops.providers.aws.elasticache``). The catalog entry of such a
backup has the snapshot's ARN as its location, no file and so no sha256, the engine and its
version, the snapshot's creation time as its source position, and no row counts: fleetops does
not connect to databases on AWS, so neither verification nor a restore compares rows. What
verification proves there: the snapshot restores into a scratch instance (or cluster) that
AWS reports available, with the snapshot's engine and storage; the scratch copy is deleted after.

Runs on the server's worker threads and the engine's handler threads (each call waits on AWS).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.errors import BadInput, OperationFailed
from fleetops.providers.aws.elasticache import CacheCluster
from fleetops.providers.aws.rds import RdsInstance, snapshot_identifier
from fleetops.providers.aws.session import AwsClients
from fleetops.spec.fleet import Fleet
from fleetops.spec.resources import DatastoreAws
from fleetops.store.backups import Backup

GIB = 1024**3


@dataclass(frozen=True)
class Verification:
    """The outcome of a verification on AWS."""

    ok: bool
    detail: str


class AwsBackups:
    """See the module docstring. ``poll_s``: seconds between two looks while AWS works."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str,
        clients: AwsClients,
        *,
        clock: Clock = SYSTEM_CLOCK,
        poll_s: float = 15.0,
    ) -> None:
        self.fleet = fleet
        self.environment = environment
        self.clients = clients
        self.clock = clock
        self.poll_s = poll_s

    def resource(self, datastore: str) -> DatastoreAws:
        """The datastore's ``aws:`` block; BadInput saying what to add when it has none."""
        spec = self.fleet.datastores.get(datastore)
        if spec is None:
            raise BadInput(f"no datastore {datastore!r} in the fleet file")
        if spec.aws is None:
            raise BadInput(
                f"datastores.{datastore}: environment {self.environment!r} runs on aws, and the datastore "
                "has no aws block naming its resource: add aws: {rds_instance: <DB instance id>} "
                "(postgres) or aws: {elasticache_cluster: <cache cluster id>} (redis)"
            )
        return spec.aws

    def rds(self, identifier: str) -> RdsInstance:
        """The DB instance ``identifier`` of this environment."""
        return RdsInstance(self.clients, identifier, poll_s=self.poll_s)

    def cache(self, cluster_id: str) -> CacheCluster:
        """The cache cluster ``cluster_id`` of this environment."""
        return CacheCluster(self.clients, cluster_id, poll_s=self.poll_s)

    # -- backups ---------------------------------------------------------------------------------

    def take(self, datastore: str, backup_id: str, *, kind: str, tag: str | None, now: datetime) -> Backup:
        """A snapshot of ``datastore`` under ``backup_id``, waited on until available; its
        catalog entry (not yet recorded)."""
        aws = self.resource(datastore)
        if aws.rds_instance is not None:
            snap = self.rds(aws.rds_instance).create_snapshot(backup_id)
            created = snap.get("SnapshotCreateTime")
            return Backup(
                backup_id=backup_id,
                environment=self.environment,
                datastore=datastore,
                kind=kind,
                created_at=now,
                duration_ms=0,
                location=str(snap["DBSnapshotArn"]),
                size_bytes=int(snap.get("AllocatedStorage", 0)) * GIB,
                sha256="",
                tool="rds:CreateDBSnapshot",
                tool_version=f"{snap.get('Engine', '')} {snap.get('EngineVersion', '')}".strip(),
                source_position=created.isoformat() if isinstance(created, datetime) else now.isoformat(),
                contents={},
                tag=tag,
            )
        assert aws.elasticache_cluster is not None
        cache = self.cache(aws.elasticache_cluster)
        snap = cache.create_snapshot(snapshot_identifier(backup_id))
        arn = snap.get("ARN") or (
            f"arn:aws:elasticache:{self.clients.region}::snapshot:{snap.get('SnapshotName', '')}"
        )
        return Backup(
            backup_id=backup_id,
            environment=self.environment,
            datastore=datastore,
            kind=kind,
            created_at=now,
            duration_ms=0,
            location=str(arn),
            size_bytes=0,
            sha256="",
            tool="elasticache:CreateSnapshot",
            tool_version=f"{snap.get('Engine', 'redis')} {snap.get('EngineVersion', '')}".strip(),
            source_position=now.isoformat(),
            contents={},
            tag=tag,
        )

    def check(self, backup: Backup) -> None:
        """BadInput (nothing restored) when the backup's snapshot is gone or not available."""
        aws = self.resource(backup.datastore)
        name = snapshot_identifier(backup.backup_id)
        if aws.rds_instance is not None:
            found = self.rds(aws.rds_instance).snapshot(name)
            status = None if found is None else found.get("Status")
        else:
            assert aws.elasticache_cluster is not None
            found = self.cache(aws.elasticache_cluster).snapshot(name)
            status = None if found is None else found.get("SnapshotStatus")
        if found is None:
            raise BadInput(
                f"backup {backup.backup_id}: its snapshot {name} ({backup.location}) no longer exists on "
                "AWS; nothing was restored"
            )
        if status != "available":
            raise BadInput(f"backup {backup.backup_id}: its snapshot {name} is {status}, not available")

    def verify(self, backup: Backup) -> Verification:
        """Restore the snapshot into a scratch instance (cluster), check it, delete it."""
        try:
            self.check(backup)
        except BadInput as err:
            return Verification(False, str(err))
        aws = self.resource(backup.datastore)
        name = snapshot_identifier(backup.backup_id)
        if aws.rds_instance is not None:
            rds = self.rds(aws.rds_instance)
            snap = rds.snapshot(name) or {}
            scratch = rds.derived("v", backup.backup_id)
            try:
                rds.restore_into(scratch, snapshot_id=name, to_time=None, key=f"verify {backup.backup_id}")
                restored = rds.describe(scratch) or {}
            except OperationFailed as err:
                return Verification(False, f"restore of {name} into scratch instance {scratch} failed: {err}")
            finally:
                rds.delete_instance(scratch)
            problems = [
                f"{key} {restored.get(key)!r}, the snapshot's {snap.get(key)!r}"
                for key in ("Engine", "AllocatedStorage")
                if restored.get(key) != snap.get(key)
            ]
            if problems:
                return Verification(False, f"scratch instance {scratch}: " + "; ".join(problems))
            return Verification(
                True,
                f"restored into scratch DB instance {scratch}: available, {restored.get('Engine')} "
                f"{restored.get('EngineVersion', '')}, {restored.get('AllocatedStorage')} GiB; deleted "
                "(rows not compared: fleetops does not connect to databases on AWS)",
            )
        assert aws.elasticache_cluster is not None
        cache = self.cache(aws.elasticache_cluster)
        digest = hashlib.sha256(backup.backup_id.encode()).hexdigest()[:8]
        scratch = f"{aws.elasticache_cluster[:40].rstrip('-')}-v{digest}"
        try:
            cluster = cache.restore_scratch(name, scratch)
        except OperationFailed as err:
            return Verification(False, f"restore of {name} into scratch cluster {scratch} failed: {err}")
        finally:
            cache.delete(scratch)
        return Verification(
            True,
            f"restored into scratch cache cluster {scratch}: available, {cluster.get('Engine')} "
            f"{cluster.get('EngineVersion', '')}; deleted (keys not compared)",
        )

    def delete(self, backup: Backup) -> None:
        """Delete the backup's snapshot (nothing when it is gone already)."""
        aws = self.resource(backup.datastore)
        name = snapshot_identifier(backup.backup_id)
        if aws.rds_instance is not None:
            self.rds(aws.rds_instance).delete_snapshot(name)
        else:
            assert aws.elasticache_cluster is not None
            self.cache(aws.elasticache_cluster).delete_snapshot(name)

    # -- restores --------------------------------------------------------------------------------

    def restore(self, datastore: str, *, backup: Backup | None, to_time: datetime | None, key: str) -> str:
        """Restore ``backup`` (or the point in time ``to_time``; both None: the latest restorable
        time) into a new DB instance, then switch it in place of the live one; the name the
        replaced instance is kept under. ``key`` names the restore (the same key: the same
        instances, so a repeated call finishes what an earlier one started)."""
        aws = self.resource(datastore)
        if aws.rds_instance is None:
            raise OperationFailed(
                f"datastore {datastore!r} is ElastiCache cluster {aws.elasticache_cluster}: a restore in "
                "place is not built (a cluster cannot be renamed, so a restored one has another endpoint); "
                "backups and their verification are"
            )
        rds = self.rds(aws.rds_instance)
        restored, replaced = rds.names(key)
        if backup is not None:
            self.check(backup)
        elif rds.describe(restored) is None and rds.restored_from() == key:
            # Done already (a handler runs again after a crash): the live instance is the one
            # restored to that moment, and a restore to the same moment gives the same data.
            return replaced
        rds.restore_into(
            restored,
            snapshot_id=None if backup is None else snapshot_identifier(backup.backup_id),
            to_time=to_time,
            key=key,
        )
        return rds.switch(restored, replaced)
