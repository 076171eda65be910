"""``LocalDrillControl``: the drill runbooks' port (``runbooks.ports.DrillControl``) over one
running local environment: its ``FleetRuntime`` (services, instances, health), its datastores
(the outage, the heartbeat stamps), the control plane's steady clients and heartbeat writer,
and the restore runbook, started and read through the callables the control plane gives
(``fleetops.control.deployments``).

Runs on the engine's handler threads.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fleetops.control.backups import Backups
from fleetops.control.fleet import FleetRuntime
from fleetops.control.heartbeats import HeartbeatWriter
from fleetops.control.restores import LocalDatastoreControl
from fleetops.errors import BadInput, OperationFailed
from fleetops.ops.backups.pitr import BASE_TOOL
from fleetops.ops.drills.heartbeat import STAMPED_KINDS, newest_stamp
from fleetops.ops.drills.outage import destroy
from fleetops.ops.drills.report import ClientCounts
from fleetops.ops.drills.steady_client import SteadyClients
from fleetops.providers.base import InstanceState
from fleetops.providers.local.datastores import LocalDatastores
from fleetops.runbooks.ports import ChildRun
from fleetops.store.backups import Backup


@dataclass(frozen=True)
class ChildRestore:
    """The restore a datastore-loss drill starts: execution ``name`` of the restore runbook."""

    name: str
    environment: str
    datastore: str
    backup_id: str
    requested_by: str
    poll_seconds: int


StartRestore = Callable[[ChildRestore], None]
ReadRun = Callable[[str], ChildRun]

PRE_RESTORE = "pre-restore"
_LIVE = (InstanceState.PENDING, InstanceState.IN_SERVICE)


def latest_verified(backups: Backups, environment: str, datastore: str) -> Backup | None:
    """The newest backup of ``datastore`` in ``environment`` verified by restore, the
    snapshots a restore takes first and base backups aside (a base backup is restored to a point
    in time, ``--to-time``, not as a backup)."""
    found = backups.list(environment=environment, datastore=datastore)
    return next(
        (b for b in found if b.verify_status == "verified" and b.tag != PRE_RESTORE and b.tool != BASE_TOOL),
        None,
    )


class LocalDrillControl:
    """See the module docstring."""

    def __init__(
        self,
        runtime: FleetRuntime,
        backups: Backups,
        *,
        heartbeats: HeartbeatWriter,
        clients: SteadyClients,
        start_restore: StartRestore,
        read_run: ReadRun,
    ) -> None:
        self.runtime = runtime
        self.environment = runtime.environment
        self.backups = backups
        self.heartbeats = heartbeats
        self.clients = clients
        self._start_restore = start_restore
        self._read_run = read_run
        self._datastores = LocalDatastoreControl(runtime, backups)

    def users(self, datastore: str) -> list[str]:
        """See ``DrillControl.users``."""
        return self._datastores.users(datastore)

    def kind(self, datastore: str) -> str:
        """See ``DrillControl.kind``."""
        return self._stores().stores[datastore].kind

    def latest_verified_backup(self, datastore: str) -> Backup | None:
        """See ``DrillControl.latest_verified_backup``."""
        return latest_verified(self.backups, self.environment, datastore)

    def client_urls(self, services: list[str], path: str | None) -> list[str]:
        """See ``DrillControl.client_urls``."""
        urls = []
        for service in services:
            spec = self.runtime.fleet.service(service, self.environment)
            urls.append(self.runtime.endpoint(service) + (path or spec.health.path))
        return urls

    def start_client(self, key: str, urls: list[str]) -> None:
        """See ``DrillControl.start_client``."""
        self.clients.start(key, urls)

    def stop_client(self, key: str) -> ClientCounts | None:
        """See ``DrillControl.stop_client``."""
        return self.clients.stop(key)

    def destroy(self, datastore: str) -> None:
        """See ``DrillControl.destroy``."""
        self.heartbeats.pause(self.environment, datastore)
        destroy(self._stores(), datastore)

    def newest_stamp(self, datastore: str) -> datetime | None:
        """See ``DrillControl.newest_stamp``: None for a kind never stamped (Redis), whose
        backup's time stands in."""
        stores = self._stores()
        if stores.stores[datastore].kind not in STAMPED_KINDS:
            return None
        return newest_stamp(stores, datastore)

    def resume_heartbeat(self, datastore: str) -> None:
        """See ``DrillControl.resume_heartbeat``."""
        self.heartbeats.resume(self.environment, datastore)

    def start_restore(
        self, name: str, datastore: str, backup_id: str, requested_by: str, poll_seconds: int
    ) -> None:
        """See ``DrillControl.start_restore``."""
        self._start_restore(
            ChildRestore(name, self.environment, datastore, backup_id, requested_by, poll_seconds)
        )

    def restore_run(self, name: str) -> ChildRun:
        """See ``DrillControl.restore_run``."""
        return self._read_run(name)

    def waiting_for(self, service: str) -> str | None:
        """See ``DrillControl.waiting_for``."""
        return self._datastores.waiting_for(service)

    def running_ids(self, service: str) -> list[str]:
        """See ``DrillControl.running_ids``."""
        return [i.id for i in self.runtime.provider.instances(service) if i.state in _LIVE]

    def kill_instances(self, service: str, count: int) -> list[str]:
        """See ``DrillControl.kill_instances``."""
        if service not in self.runtime.services:
            raise BadInput(f"environment {self.environment!r} runs no service {service!r}")
        live = [
            (i.id, i.pid)
            for i in self.runtime.provider.instances(service)
            if i.state in _LIVE and i.pid is not None
        ]
        killed = []
        for instance_id, pid in live[:count]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue  # it exited meanwhile: crashed already
            killed.append(instance_id)
        return killed

    def _stores(self) -> LocalDatastores:
        stores = self.runtime.datastores
        if stores is None:
            raise OperationFailed(f"environment {self.environment!r} runs no datastores on this machine")
        return stores
