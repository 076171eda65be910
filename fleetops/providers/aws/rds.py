"""Backups and restores of an RDS DB instance: DB snapshots, and restores into a new instance
that is then renamed in place of the live one (seed 002's "Restore from Snapshot" and
"Point-in-Time Restore", with its option B, "rename instances").

- A backup is CreateDBSnapshot (tagged ``fleetops:backup``), waited on until ``available``.
- A restore is RestoreDBInstanceFromDBSnapshot (or RestoreDBInstanceToPointInTime) into
  ``<live>-r<key>`` with the live instance's class, subnet group and security groups, waited on
  until available; then the live instance is renamed ``<live>-o<key>`` and the restored one
  renamed to the live name (ModifyDBInstance NewDBInstanceIdentifier, ApplyImmediately), so the
  services' connection (the instance's DNS name follows its identifier) reaches the restored data
  without a change to their configuration. The replaced instance is kept, stopped by nobody:
  it is the way back, deleted by the operator once the restore is confirmed.
- Every step looks before it acts (a restore is run at least once, again after a crash): an
  instance already restored is not restored again, a rename already done is not done again.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fleetops.errors import OperationFailed
from fleetops.providers.aws.session import AwsClients, AwsError, aws_call

BACKUP_TAG = "fleetops:backup"
RESTORED_TAG = "fleetops:restored-from"
DEFAULT_TIMEOUT_S = 3600.0
"""A restore of a large instance takes tens of minutes (seed 002: 10-30)."""


def snapshot_identifier(backup_id: str) -> str:
    """A DB snapshot identifier for ``backup_id`` (letters, digits, single hyphens, a letter first)."""
    text = re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9]", "-", backup_id)).strip("-")
    if not text or not text[0].isalpha():
        text = "bk-" + text
    return text[:255].rstrip("-")


class RdsInstance:
    """One DB instance (``aws.rds_instance`` of a datastore). ``sleep`` and ``poll_s``: how a
    wait waits between looks (tests on moto never wait: it is available at once)."""

    def __init__(
        self,
        clients: AwsClients,
        identifier: str,
        *,
        poll_s: float = 15.0,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.identifier = identifier
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self._sleep = sleep
        self._monotonic = monotonic

    # -- reading ---------------------------------------------------------------------------------

    def describe(self, identifier: str | None = None) -> dict[str, Any] | None:
        """DescribeDBInstances of one instance (default the live one); None when there is none."""
        name = identifier or self.identifier
        try:
            found = aws_call(
                "rds:DescribeDBInstances",
                name,
                self.clients.rds.describe_db_instances,
                DBInstanceIdentifier=name,
            )["DBInstances"]
        except AwsError as err:
            if err.code == "DBInstanceNotFound":
                return None
            raise
        return dict(found[0]) if found else None

    def restored_from(self) -> str | None:
        """The key of the restore the live instance came from (its ``fleetops:restored-from`` tag)."""
        live = self.describe() or {}
        return {t["Key"]: t["Value"] for t in live.get("TagList", [])}.get(RESTORED_TAG)

    def snapshot(self, snapshot_id: str) -> dict[str, Any] | None:
        """DescribeDBSnapshots of one snapshot; None when there is none."""
        try:
            found = aws_call(
                "rds:DescribeDBSnapshots",
                snapshot_id,
                self.clients.rds.describe_db_snapshots,
                DBSnapshotIdentifier=snapshot_id,
            )["DBSnapshots"]
        except AwsError as err:
            if err.code == "DBSnapshotNotFound":
                return None
            raise
        return dict(found[0]) if found else None

    # -- backups ---------------------------------------------------------------------------------

    def create_snapshot(self, backup_id: str) -> dict[str, Any]:
        """The DB snapshot of ``backup_id``: CreateDBSnapshot (unless it exists), waited on until
        available; OperationFailed when it ends otherwise."""
        snapshot_id = snapshot_identifier(backup_id)
        if self.snapshot(snapshot_id) is None:
            aws_call(
                "rds:CreateDBSnapshot",
                self.identifier,
                self.clients.rds.create_db_snapshot,
                DBInstanceIdentifier=self.identifier,
                DBSnapshotIdentifier=snapshot_id,
                Tags=[{"Key": BACKUP_TAG, "Value": backup_id}],
            )
        return self._wait(
            f"snapshot {snapshot_id}", lambda: self.snapshot(snapshot_id), ("available",), ("failed",)
        )

    def delete_snapshot(self, snapshot_id: str) -> None:
        """DeleteDBSnapshot (nothing when it is gone already)."""
        try:
            aws_call(
                "rds:DeleteDBSnapshot",
                snapshot_id,
                self.clients.rds.delete_db_snapshot,
                DBSnapshotIdentifier=snapshot_id,
            )
        except AwsError as err:
            if err.code != "DBSnapshotNotFound":
                raise

    # -- restores --------------------------------------------------------------------------------

    def names(self, key: str) -> tuple[str, str]:
        """(the restored instance's identifier before its rename, the replaced one's after)."""
        return self.derived("r", key), self.derived("o", key)

    def derived(self, letter: str, key: str) -> str:
        """``<live>-<letter><8 hex digits of key's sha256>`` (at most 63 characters)."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:8]
        return f"{self.identifier[: 63 - 10].rstrip('-')}-{letter}{digest}"

    def delete_instance(self, name: str) -> None:
        """DeleteDBInstance of a scratch instance, without a final snapshot (nothing when gone)."""
        if name == self.identifier:
            raise ValueError("the live instance is never deleted")
        try:
            aws_call(
                "rds:DeleteDBInstance",
                name,
                self.clients.rds.delete_db_instance,
                DBInstanceIdentifier=name,
                SkipFinalSnapshot=True,
            )
        except AwsError as err:
            if err.code != "DBInstanceNotFound":
                raise

    def restore_into(self, name: str, *, snapshot_id: str | None, to_time: datetime | None, key: str) -> None:
        """A new instance ``name`` from a snapshot or a point in time of the live instance (none
        made when it exists), waited on until available."""
        if self.describe(name) is None:
            live = self.describe()
            settings = _placement(live or {})
            tags = [{"Key": RESTORED_TAG, "Value": key}]
            if snapshot_id is not None:
                aws_call(
                    "rds:RestoreDBInstanceFromDBSnapshot",
                    snapshot_id,
                    self.clients.rds.restore_db_instance_from_db_snapshot,
                    DBInstanceIdentifier=name,
                    DBSnapshotIdentifier=snapshot_id,
                    Tags=tags,
                    **settings,
                )
            else:
                point: dict[str, Any] = (
                    {"RestoreTime": to_time} if to_time is not None else {"UseLatestRestorableTime": True}
                )
                aws_call(
                    "rds:RestoreDBInstanceToPointInTime",
                    self.identifier,
                    self.clients.rds.restore_db_instance_to_point_in_time,
                    SourceDBInstanceIdentifier=self.identifier,
                    TargetDBInstanceIdentifier=name,
                    Tags=tags,
                    **point,
                    **settings,
                )
        self.wait_available(name)

    def switch(self, restored: str, replaced: str) -> str:
        """Rename the live instance ``replaced`` (``replaced-2``… when an earlier restore kept
        one under that name) and ``restored`` to the live name, each rename skipped when done
        already; wait until the live name is available; the name the replaced instance has."""
        kept = replaced
        if self.describe(restored) is not None:
            if self.describe() is not None:
                n = 1
                while self.describe(kept) is not None:
                    n += 1
                    kept = f"{replaced}-{n}"
                self._rename(self.identifier, kept)
                self.wait_available(kept)
            self._rename(restored, self.identifier)
        self.wait_available(self.identifier)
        return kept

    def wait_available(self, name: str) -> dict[str, Any]:
        """The instance once ``available`` (OperationFailed when it fails or the time runs out)."""
        return self._wait(
            f"DB instance {name}",
            lambda: self.describe(name),
            ("available",),
            ("failed", "incompatible-restore", "incompatible-parameters", "storage-full"),
        )

    def _rename(self, old: str, new: str) -> None:
        aws_call(
            "rds:ModifyDBInstance",
            old,
            self.clients.rds.modify_db_instance,
            DBInstanceIdentifier=old,
            NewDBInstanceIdentifier=new,
            ApplyImmediately=True,
        )

    def _wait(
        self,
        what: str,
        look: Callable[[], Mapping[str, Any] | None],
        ready: tuple[str, ...],
        failed: tuple[str, ...],
    ) -> dict[str, Any]:
        deadline = self._monotonic() + self.timeout_s
        while True:
            found = look()  # None for a while after a rename: AWS renames asynchronously
            status = None if found is None else str(found.get("Status") or found.get("DBInstanceStatus"))
            if found is not None and status in ready:
                return dict(found)
            if status in failed:
                raise OperationFailed(f"{what} is {status}")
            if self._monotonic() >= deadline:
                raise OperationFailed(f"{what} not available after {self.timeout_s:.0f}s (it is {status})")
            self._sleep(self.poll_s)


def _placement(live: Mapping[str, Any]) -> dict[str, Any]:
    """Where a restored instance goes: the live instance's class, subnet group and security groups."""
    out: dict[str, Any] = {}
    if live.get("DBInstanceClass"):
        out["DBInstanceClass"] = live["DBInstanceClass"]
    subnets = (live.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
    if subnets:
        out["DBSubnetGroupName"] = subnets
    groups = [
        g["VpcSecurityGroupId"] for g in live.get("VpcSecurityGroups", []) if g.get("VpcSecurityGroupId")
    ]
    if groups:
        out["VpcSecurityGroupIds"] = groups
    return out
