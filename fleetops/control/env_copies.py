"""Bringing one local environment up as a copy of another: what the environment-failover drill
does to a standby, and the datastore-loss drill to a scratch copy.

- :func:`replicate_secrets`: the source's current secret values made the copy's (Secrets
  Manager's replica regions), datastore passwords aside (they are the copy's own servers' logins);
- :func:`pin_copy`: each service's release pinned in the copy (by the drill's execution) and its
  desired state saved, so the copy's runtime starts each service at that version and count.
"""

from __future__ import annotations

from fleetops.ops.releases import pin_releases
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.runbooks.ports import StandbyRelease
from fleetops.spec.fleet import Fleet
from fleetops.store import Store


def replicate_secrets(vault: SecretsVault | None, fleet: Fleet, source: str, target: str, *, by: str) -> None:
    """Give ``target`` each secret's current value in ``source`` (datastore passwords aside)."""
    if vault is None:
        return
    logins = {d.password_secret for d in fleet.datastores.values() if d.password_secret is not None}
    for name in sorted(set(fleet.secrets) - logins):
        value = vault.lookup(source, name)
        if value is not None and vault.lookup(target, name) != value:
            vault.put(target, name, value, by=by, source="copy")


def pin_copy(
    store: Store, fleet: Fleet, target: str, releases: list[StandbyRelease], *, execution: str
) -> None:
    """Pin ``releases`` in ``target`` (idempotent per execution) and save each service's state."""
    pinned = pin_releases(
        store,
        fleet,
        environment=target,
        versions={r.service: r.version for r in releases},
        execution_id=execution,
        created_by=f"drill {execution}",
    )
    for release, wanted in zip(pinned, releases, strict=True):
        store.service_state.save(
            target,
            wanted.service,
            version=wanted.version,
            release_number=release.number,
            desired=wanted.desired,
        )
