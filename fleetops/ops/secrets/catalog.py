"""What ``secrets list`` and ``describe`` show: each secret's labels and rotation schedule, no value.

A secret is listed when the fleet file declares it or the store has versions of it (one put by
hand). Its next rotation is due ``rotation.every`` after its AWSCURRENT version was made; a
secret without a schedule is rotated by hand only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetops.ops.releases import datastore_exists
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.store.secrets import AWSCURRENT, SecretVersion


@dataclass(frozen=True)
class SecretSummary:
    """One secret of an environment, as listed."""

    name: str
    description: str
    declared: bool
    """Whether the fleet file declares it."""
    guards: str | None
    """The datastore whose password it is (None: an app key, nothing to set when rotated)."""
    versions: int
    current: SecretVersion | None
    rotation_every_s: float | None
    next_rotation: datetime | None
    overdue: bool

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON-ready values (never a value)."""
        return {
            "name": self.name,
            "description": self.description,
            "declared": self.declared,
            "guards": self.guards,
            "versions": self.versions,
            "current_version": None if self.current is None else self.current.version_id,
            "current_since": None if self.current is None else self.current.created_at.isoformat(),
            "rotation_every_s": self.rotation_every_s,
            "next_rotation": None if self.next_rotation is None else self.next_rotation.isoformat(),
            "overdue": self.overdue,
        }


def guarded_datastore(fleet: Fleet | None, name: str, environment: str) -> str | None:
    """The datastore of ``environment`` whose password secret ``name`` is (None: none, an app key)."""
    if fleet is None:
        return None
    for store_name, datastore in fleet.datastores.items():
        if datastore.password_secret == name and datastore_exists(fleet, environment, store_name):
            return store_name
    return None


def summarize(
    store: Store, fleet: Fleet | None, environment: str, name: str, *, now: datetime
) -> SecretSummary:
    """The summary of one secret (declared or with versions), overdue or not at ``now``."""
    versions = store.secrets.versions(environment, name)
    declared = fleet.secrets.get(name) if fleet is not None else None
    current = next((version for version in versions if AWSCURRENT in version.stages), None)
    every = declared.rotation.every if declared is not None and declared.rotation is not None else None
    due = current.created_at + every if every is not None and current is not None else None
    return SecretSummary(
        name=name,
        description=declared.description if declared is not None else "",
        declared=declared is not None,
        guards=guarded_datastore(fleet, name, environment),
        versions=len(versions),
        current=current,
        rotation_every_s=None if every is None else every.total_seconds(),
        next_rotation=due,
        overdue=due is not None and due <= now,
    )


def list_secrets(
    store: Store, fleet: Fleet | None, environment: str, *, now: datetime
) -> list[SecretSummary]:
    """Every secret of ``environment``: declared in the fleet file or stored, sorted by name."""
    names = set(store.secrets.names(environment)) | set(fleet.secrets if fleet is not None else ())
    return [summarize(store, fleet, environment, name, now=now) for name in sorted(names)]
