"""``LocalFailoverControl``: the environment-failover drill's port
(``runbooks.ports.FailoverControl``) over two local environments of one control plane: the
primary it stops (its region lost: instances, load balancers and datastores gone at once) and
the standby (``standby_for``) it brings up in its place, from the primary's newest verified
releases and backups.

The entry point moves with the standby: the fleet file makes a standby pin the ports its primary
pins (``fleetops.spec.standby``), so once the primary's load balancers are gone the standby's
bind the addresses clients were given, as a DNS name pointed at another region would. The
primary's current secret values are made the standby's first (Secrets Manager's replica regions),
so what clients hold (a session token) stays valid; datastore passwords stay the standby's own.

Runs on the engine's handler threads (starting an environment and restoring take seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx

from fleetops.control.backups import Backups
from fleetops.control.drills import latest_verified
from fleetops.control.env_copies import pin_copy, replicate_secrets
from fleetops.control.environments import Environments
from fleetops.control.fleet import FleetRuntime
from fleetops.control.heartbeats import HeartbeatWriter
from fleetops.control.restores import LocalDatastoreControl
from fleetops.errors import BadInput, OperationFailed
from fleetops.ops.backups.restore import restore_into
from fleetops.ops.drills.heartbeat import newest_stamp
from fleetops.ops.drills.report import ClientCounts
from fleetops.ops.drills.steady_client import SteadyClients
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.runbooks.ports import StandbyRelease
from fleetops.store import Store
from fleetops.store.backups import Backup
from fleetops.store.releases import ReleaseConflict, ReleaseStatus
from fleetops.tls import default_tls

EnvironmentsChanged = Callable[[list[str]], None]
"""Told the running environments after the drill stops or starts one (the server records them,
so a restarted control plane runs the standby, not the lost primary)."""
_ENTRY_TIMEOUT_S = 2.0


class LocalFailoverControl:
    """See the module docstring."""

    def __init__(
        self,
        environments: Environments,
        store: Store,
        *,
        primary: str,
        standby: str,
        heartbeats: HeartbeatWriter,
        clients: SteadyClients,
        changed: EnvironmentsChanged,
        vault: SecretsVault | None = None,
    ) -> None:
        self.environments = environments
        self.vault = vault
        self.store = store
        self.primary = primary
        self.standby = standby
        self.heartbeats = heartbeats
        self.clients = clients
        self.backups = Backups(store, environments)
        self._changed = changed

    def primary_running(self) -> bool:
        """See ``FailoverControl.primary_running``."""
        return self.environments.get(self.primary) is not None

    def standby_running(self) -> bool:
        """See ``FailoverControl.standby_running``."""
        return self.environments.get(self.standby) is not None

    def releases(self) -> list[StandbyRelease]:
        """See ``FailoverControl.releases``."""
        fleet = self.environments.fleet
        if fleet is None:
            raise OperationFailed("this control plane runs no fleet")
        found = []
        for service, spec in fleet.services.items():
            if spec.in_environment(self.primary).run is None:
                continue
            release = self.store.releases.last_verified(self.primary, service)
            if release is None:
                raise BadInput(
                    f"{service!r} has no verified release in {self.primary!r}: the standby is brought "
                    "up from verified releases only (deploy it, or wait for `fleetops up` to verify it)"
                )
            state = self.store.service_state.get(self.primary, service)
            desired = spec.in_environment(self.primary).instances.desired if state is None else state.desired
            found.append(StandbyRelease(service, release.version, desired))
        return found

    def latest_verified_backup(self, datastore: str) -> Backup | None:
        """See ``FailoverControl.latest_verified_backup``."""
        return latest_verified(self.backups, self.primary, datastore)

    def start_client(self, key: str, urls: list[str]) -> None:
        """See ``FailoverControl.start_client``."""
        self.clients.start(key, urls)

    def stop_client(self, key: str) -> ClientCounts | None:
        """See ``FailoverControl.stop_client``."""
        return self.clients.stop(key)

    def stop_primary(self) -> None:
        """See ``FailoverControl.stop_primary``."""
        if not self.primary_running():
            return
        self.environments.remove(self.primary)
        self._changed(self.environments.names())

    def start_primary(self) -> None:
        """See ``FailoverControl.start_primary``."""
        self.environments.add(self.primary, "v1")  # its services' states say their versions
        self._changed(self.environments.names())

    def start_standby(self, drill: str, releases: list[StandbyRelease], backups: dict[str, str]) -> None:
        """See ``FailoverControl.start_standby``."""
        if self.standby_running():
            return
        fleet = self.environments.fleet
        if fleet is None:
            raise OperationFailed("this control plane runs no fleet")
        for datastore in backups:
            # Until the drill has read the stamp the restore leaves (a new one would hide it).
            self.heartbeats.pause(self.standby, datastore)
        replicate_secrets(self.vault, fleet, self.primary, self.standby, by=f"drill {drill}")
        pin_copy(self.store, fleet, self.standby, releases, execution=drill)
        runtime, _ = self.environments.add(self.standby, releases[0].version if releases else "v1")
        self._changed(self.environments.names())
        if not backups:
            return
        stores = runtime.datastores if isinstance(runtime, FleetRuntime) else None
        if stores is None:
            raise OperationFailed(f"standby {self.standby!r} runs no datastores on this machine")
        for datastore, backup_id in backups.items():
            backup = self.backups.checked(backup_id, environment=self.primary, datastore=datastore)
            restore_into(stores, datastore, Path(backup.location))

    def waiting_for(self, urls: list[str]) -> str | None:
        """See ``FailoverControl.waiting_for``."""
        runtime = self.environments.get(self.standby)
        if not isinstance(runtime, FleetRuntime):
            return f"standby {self.standby!r} is not running"
        services = LocalDatastoreControl(runtime, self.backups)
        for service in runtime.services:
            waiting = services.waiting_for(service)
            if waiting is not None:
                return f"{service}: {waiting}"
        for url in urls:
            try:
                answer = httpx.get(url, timeout=_ENTRY_TIMEOUT_S, verify=default_tls())
            except httpx.HTTPError as err:
                return f"entry point {url}: {type(err).__name__}"
            if not answer.is_success:
                return f"entry point {url}: HTTP {answer.status_code}"
        return None

    def mark_verified(self, drill: str) -> None:
        """See ``FailoverControl.mark_verified``."""
        pinned = self.store.releases.list(
            environment=self.standby, execution_id=drill, status=ReleaseStatus.PINNED
        )
        for release in pinned:
            try:
                self.store.releases.mark_verified(self.standby, release.service, release.number)
            except ReleaseConflict:  # verified meanwhile (the step repeated)
                continue

    def newest_stamp(self, datastore: str) -> datetime | None:
        """See ``FailoverControl.newest_stamp``."""
        runtime = self.environments.get(self.standby)
        stores = runtime.datastores if isinstance(runtime, FleetRuntime) else None
        if stores is None:
            raise OperationFailed(f"standby {self.standby!r} runs no datastores on this machine")
        return newest_stamp(stores, datastore)

    def resume_heartbeat(self, datastores: list[str]) -> None:
        """See ``FailoverControl.resume_heartbeat``."""
        for datastore in datastores:
            self.heartbeats.resume(self.standby, datastore)
