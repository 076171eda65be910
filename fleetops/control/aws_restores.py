"""``AwsDatastoreControl``: the restore runbook's port (``runbooks.ports.DatastoreControl``) over
one aws environment: its ``AwsFleetRuntime`` (desired counts, instances, health) and its
datastores' native snapshots (``control.aws_backups`` through ``control.backups.Backups``).

A restore there is a new RDS instance from the snapshot, switched in place of the live one by
renaming both (``fleetops.providers.aws.rds``); the replaced instance is kept. fleetops does not
connect to databases on AWS, so ``contents`` is empty: the runbook's verification compares no
rows there (the restored instance being available is what is checked).

Runs on the engine's handler threads (a restore waits on AWS: minutes to tens of minutes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.control.backups import Backups
from fleetops.errors import BadInput
from fleetops.store.backups import Backup

_GONE = ("Terminated", "Detached", "Standby")


class AwsDatastoreControl:
    """See the module docstring."""

    def __init__(self, runtime: AwsFleetRuntime, backups: Backups) -> None:
        self.runtime = runtime
        self.backups = backups
        self.environment = runtime.environment

    def users(self, datastore: str) -> list[str]:
        """Services of the environment that name ``datastore`` (``datastores: [...]``)."""
        return [
            name
            for name in self.runtime.services
            if datastore in self.runtime.fleet.service(name, self.environment).datastores
        ]

    def desired(self, service: str) -> int:
        """The service's saved desired count."""
        state = self.runtime.store.service_state.get(self.environment, service)
        if state is None:
            return self.runtime.fleet.service(service, self.environment).instances.desired
        return state.desired

    def set_desired(self, service: str, desired: int) -> None:
        """Save and apply a desired count, 0 included (the group's or scalable target's bounds
        widened to take it)."""
        if self.desired(service) != desired or self.runtime.backends[service].capacity().desired != desired:
            self.runtime.set_desired(service, desired)

    def live_instances(self, service: str) -> int:
        """Instances (tasks) not yet terminated."""
        return sum(1 for i in self.runtime.backends[service].capacity().instances if i.state not in _GONE)

    def waiting_for(self, service: str) -> str | None:
        """None once ``desired`` instances are in service and healthy."""
        status = next((s for s in self.runtime.services_status().services if s.name == service), None)
        if status is None:
            return "not in this environment"
        if status.healthy >= status.desired:
            return None
        return f"{status.healthy}/{status.desired} healthy"

    def backup(self, datastore: str, *, backup_id: str, tag: str) -> Backup:
        """A snapshot now under ``backup_id`` (the one already in the catalog under it, if any)."""
        return self.backups.create(datastore, environment=self.environment, backup_id=backup_id, tag=tag)

    def check_backup(self, backup_id: str, datastore: str) -> Backup:
        """See ``Backups.checked`` (on aws: the snapshot exists and is available); BadInput for
        an ElastiCache snapshot, which is not restored in place (so a restore is refused by its
        first step, before anything is paused)."""
        backup = self.backups.checked(backup_id, environment=self.environment, datastore=datastore)
        if backup.tool != "rds:CreateDBSnapshot":
            raise BadInput(
                f"backup {backup_id} is a {backup.tool} snapshot: only RDS restores are built on aws "
                "(a cache cluster cannot be renamed, so a restored one would have another endpoint)"
            )
        return backup

    def restore(self, datastore: str, backup_id: str) -> None:
        """A new instance from the backup's snapshot, renamed in place of the live one."""
        backup = self.check_backup(backup_id, datastore)
        self.backups.on_aws(self.runtime).restore(datastore, backup=backup, to_time=None, key=backup_id)

    def base_backup_before(self, datastore: str, moment: datetime) -> Backup:
        """What a restore to ``moment`` starts from on AWS: the instance's automated backups
        (RDS keeps them and its transaction logs; no catalog entry is needed), described as a
        backup for the plan. ``BadInput`` when the instance keeps none (BackupRetentionPeriod 0),
        or ``moment`` is after its LatestRestorableTime or before its retention window."""
        aws = self.backups.on_aws(self.runtime).resource(datastore)
        if aws.rds_instance is None:
            raise BadInput(f"datastore {datastore!r} is ElastiCache: point-in-time restores are RDS's")
        live = self.backups.on_aws(self.runtime).rds(aws.rds_instance).describe()
        if live is None:
            raise BadInput(f"datastore {datastore!r}: RDS instance {aws.rds_instance} does not exist")
        days = int(live.get("BackupRetentionPeriod", 0))
        latest = live.get("LatestRestorableTime")
        if days == 0 or not isinstance(latest, datetime):
            raise BadInput(
                f"RDS instance {aws.rds_instance} keeps no automated backups (BackupRetentionPeriod 0): "
                "no point in time to restore to"
            )
        if moment > latest:
            raise BadInput(
                f"to_time {moment.isoformat()} is after {aws.rds_instance}'s latest restorable time "
                f"{latest.isoformat()}"
            )
        earliest = latest - timedelta(days=days)
        created = live.get("InstanceCreateTime")
        if isinstance(created, datetime):
            earliest = max(earliest, created)
        if moment < earliest:
            raise BadInput(
                f"to_time {moment.isoformat()} is before {aws.rds_instance}'s earliest restorable time "
                f"{earliest.isoformat()} ({days} days of automated backups)"
            )
        return Backup(
            backup_id=f"{aws.rds_instance}-automated",
            environment=self.environment,
            datastore=datastore,
            kind=self.runtime.fleet.datastores[datastore].kind.value,
            created_at=earliest,
            duration_ms=0,
            location=str(live.get("DBInstanceArn", aws.rds_instance)),
            size_bytes=0,
            sha256="",
            tool="rds:RestoreDBInstanceToPointInTime",
            tool_version=f"{live.get('Engine', '')} {live.get('EngineVersion', '')}".strip(),
            source_position=f"automated backups, restorable up to {latest.isoformat()}",
            contents={},
        )

    def restore_to_time(self, datastore: str, base_backup_id: str, moment: datetime) -> None:
        """RestoreDBInstanceToPointInTime of the live instance at ``moment`` into a new instance,
        renamed in place of the live one (``base_backup_id``: RDS's automated backups, unused)."""
        self.backups.on_aws(self.runtime).restore(
            datastore, backup=None, to_time=moment, key=f"pitr {moment.isoformat()}"
        )

    def contents(self, datastore: str) -> dict[str, int]:
        """Nothing: fleetops does not connect to databases on AWS (see the module docstring)."""
        return {}
