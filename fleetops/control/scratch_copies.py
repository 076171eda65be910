"""``LocalScratchCopy``: the scratch copy of a local environment a datastore-loss drill destroys
instead of the environment itself (``runbooks.ports.ScratchControl``).

The copy is an environment of its own, ``<environment>-scratch``, made in code from the fleet
file (:func:`scratch_fleet`): the environment's settings, services and datastores, on free
ports (the pinned ones belong to the environment), standing by for it (``standby_for``: a
restore there may use the environment's backups). It starts at the versions and desired counts
the environment runs, with its secrets (``env_copies``), and each of its datastores holds what
the environment's holds at the start (a dump of the live datastore restored into the copy's).
The drill then destroys and restores the copy's datastore; the environment's data is never
touched. :meth:`LocalScratchCopy.discard` stops the copy (its folder stays under
``envs/<environment>-scratch/``, reused by the next drill).

Runs on the engine's handler threads.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fleetops.control.backups import Backups
from fleetops.control.env_copies import pin_copy, replicate_secrets
from fleetops.control.environments import Environments
from fleetops.control.fleet import FleetRuntime
from fleetops.control.restores import LocalDatastoreControl
from fleetops.errors import OperationFailed
from fleetops.ops.backups.restore import restore_into
from fleetops.ops.backups.take import SUFFIXES, take_backup
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.runbooks.ports import StandbyRelease
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import RunOverride, ServiceOverride
from fleetops.store import Store

SUFFIX = "-scratch"


def scratch_name(environment: str) -> str:
    """The scratch copy's environment name."""
    return f"{environment}{SUFFIX}"


def scratch_fleet(fleet: Fleet, environment: str, name: str) -> Fleet:
    """``fleet`` with environment ``name``: a copy of ``environment`` on free ports."""
    settings = fleet.environments[environment].model_copy(
        update={"standby_for": environment, "promote_from": None}
    )
    services = {}
    for service_name, service in fleet.services.items():
        override = service.overrides.get(environment) or ServiceOverride()
        if service.run is not None:
            override = override.model_copy(update={"run": RunOverride(port=None)})
        services[service_name] = service.model_copy(
            update={"overrides": {**service.overrides, name: override}}
        )
    datastores = {
        store_name: store
        if store.environments is None or environment not in store.environments
        else store.model_copy(update={"environments": [*store.environments, name]})
        for store_name, store in fleet.datastores.items()
    }
    alarms = {
        alarm_name: alarm
        if alarm.environments is None or environment not in alarm.environments
        else alarm.model_copy(update={"environments": [*alarm.environments, name]})
        for alarm_name, alarm in fleet.alarms.items()
    }
    return fleet.model_copy(
        update={
            "environments": {**fleet.environments, name: settings},
            "services": services,
            "datastores": datastores,
            "alarms": alarms,
        }
    )


class LocalScratchCopy:
    """See the module docstring."""

    def __init__(
        self, environments: Environments, store: Store, *, environment: str, vault: SecretsVault | None = None
    ) -> None:
        self.environments = environments
        self.store = store
        self.environment = environment
        self.name = scratch_name(environment)
        self.vault = vault

    def running(self) -> bool:
        """Whether the copy runs."""
        return self.environments.get(self.name) is not None

    def start(self, drill: str) -> None:
        """Bring the copy up (nothing when it runs already: the step repeated)."""
        if self.running():
            return
        source = self._runtime(self.environment)
        fleet = scratch_fleet(source.fleet, self.environment, self.name)
        releases = []
        states = self.store.service_state.all(self.environment)
        for service in source.services:
            state = states.get(service)
            if state is not None:
                releases.append(StandbyRelease(service, state.version, state.desired))
        replicate_secrets(self.vault, fleet, self.environment, self.name, by=f"drill {drill}")
        pin_copy(self.store, fleet, self.name, releases, execution=drill)
        version = releases[0].version if releases else source.initial_version
        self.environments.add_copy(self.name, version, fleet)
        copy = self._runtime(self.name)
        if source.datastores is None or copy.datastores is None:
            return
        with tempfile.TemporaryDirectory(prefix="fleetops-scratch-") as folder:
            for datastore, spec in source.datastores.stores.items():
                dump = Path(folder) / f"{datastore}{SUFFIXES.get(spec.kind, '')}"
                take_backup(source.datastores, datastore, dump)
                restore_into(copy.datastores, datastore, dump)

    def waiting_for(self) -> str | None:
        """None once every service of the copy has its desired count healthy."""
        runtime = self.environments.get(self.name)
        if not isinstance(runtime, FleetRuntime):
            return f"scratch copy {self.name!r} is not running"
        services = LocalDatastoreControl(runtime, Backups(self.store, self.environments))
        for service in runtime.services:
            waiting = services.waiting_for(service)
            if waiting is not None:
                return f"{service}: {waiting}"
        return None

    def discard(self) -> None:
        """Stop the copy and every process it started (nothing when it is stopped)."""
        if self.environments.get(self.name) is not None:
            self.environments.remove(self.name)

    def _runtime(self, environment: str) -> FleetRuntime:
        runtime = self.environments.get(environment)
        if not isinstance(runtime, FleetRuntime):
            raise OperationFailed(f"environment {environment!r} does not run on this machine")
        return runtime
