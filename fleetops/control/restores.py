"""``LocalDatastoreControl``: the restore runbook's port (``runbooks.ports.DatastoreControl``)
over one running local environment: its ``FleetRuntime`` (desired counts, instances, health)
and its datastores with the backup catalog (``control.backups.Backups``).

Runs on the engine's handler threads (a restore takes seconds: a dump, a pg_restore).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fleetops.control.backups import Backups
from fleetops.control.fleet import FleetRuntime
from fleetops.errors import OperationFailed
from fleetops.ops.backups.pitr import restore_to_time
from fleetops.ops.backups.restore import live_contents, restore_into
from fleetops.providers.base import InstanceState
from fleetops.providers.local.datastores import LocalDatastores
from fleetops.store.backups import Backup

_RUNNING = (InstanceState.PENDING, InstanceState.IN_SERVICE, InstanceState.DRAINING)


class LocalDatastoreControl:
    """See the module docstring."""

    def __init__(self, runtime: FleetRuntime, backups: Backups) -> None:
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
        """Save and apply a desired count, 0 included (no min..max check: a pause)."""
        if self.desired(service) != desired:
            self.runtime.set_desired(service, desired)

    def live_instances(self, service: str) -> int:
        """Instances not yet terminated (pending, in service, draining)."""
        return sum(1 for i in self.runtime.provider.instances(service) if i.state in _RUNNING)

    def waiting_for(self, service: str) -> str | None:
        """None once ``desired`` instances are in service and healthy."""
        status = next((s for s in self.runtime.services_status().services if s.name == service), None)
        if status is None:
            return "not running here"
        if status.healthy >= status.desired:
            return None
        return f"{status.healthy}/{status.desired} healthy"

    def backup(self, datastore: str, *, backup_id: str, tag: str) -> Backup:
        """A backup now under ``backup_id`` (the one already in the catalog under it, if any)."""
        return self.backups.create(datastore, environment=self.environment, backup_id=backup_id, tag=tag)

    def check_backup(self, backup_id: str, datastore: str) -> Backup:
        """See ``Backups.checked``."""
        return self.backups.checked(backup_id, environment=self.environment, datastore=datastore)

    def restore(self, datastore: str, backup_id: str) -> None:
        """Replace the datastore's data with the backup's (its sha256 checked again first)."""
        backup = self.check_backup(backup_id, datastore)
        restore_into(self._stores(), datastore, Path(backup.location))

    def base_backup_before(self, datastore: str, moment: datetime) -> Backup:
        """See ``Backups.base_backup_before``."""
        return self.backups.base_backup_before(datastore, moment, environment=self.environment)

    def restore_to_time(self, datastore: str, base_backup_id: str, moment: datetime) -> None:
        """Replace the datastore's cluster with its state at ``moment`` (the base backup's
        sha256 checked again first)."""
        base = self.check_backup(base_backup_id, datastore)
        restore_to_time(self._stores(), datastore, Path(base.location), moment)

    def contents(self, datastore: str) -> dict[str, int]:
        """Rows per table (keys per Redis database) now."""
        return live_contents(self._stores(), datastore)

    def _stores(self) -> LocalDatastores:
        stores = self.runtime.datastores
        if stores is None:
            raise OperationFailed(f"environment {self.environment!r} runs no datastores on this machine")
        return stores
