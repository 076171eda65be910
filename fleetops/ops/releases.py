"""Pinning the releases of a deployment from the fleet file, and finishing them.

The deploy runbook's initialize step calls ``pin_releases`` with the target version of each
service; the config it records is the service's settings *as they run in that environment and
version* (overrides and per-version env applied): run, aws, env, instances, health, deploy,
depends_on, and the *names* of the secrets it uses. Secret values are never in a release: it
holds the secret versions (name -> version id) the deployment used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.errors import BadInput
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.store.releases import Release, ReleaseStatus
from fleetops.store.secrets import AWSCURRENT

CONFIG_FIELDS = ("run", "aws", "instances", "health", "deploy", "depends_on", "secrets")


def resolved_config(fleet: Fleet, environment: str, service: str, version: str) -> dict[str, Any]:
    """The settings ``service`` runs with in ``environment`` at ``version``, as JSON values."""
    if environment not in fleet.environments:
        raise BadInput(
            f"unknown environment {environment!r} (the fleet has: {', '.join(sorted(fleet.environments))})"
        )
    if service not in fleet.services:
        raise BadInput(f"unknown service {service!r} (the fleet has: {', '.join(sorted(fleet.services))})")
    settings = fleet.service(service, environment)
    config: dict[str, Any] = settings.model_dump(mode="json", include=set(CONFIG_FIELDS), by_alias=True)
    config["env"] = settings.env_for_version(version)
    return config


def datastore_exists(fleet: Fleet, environment: str, datastore: str) -> bool:
    """Whether ``datastore`` exists in ``environment`` (its ``environments``, default all)."""
    spec = fleet.datastores.get(datastore)
    return spec is not None and (spec.environments is None or environment in spec.environments)


def secrets_used(fleet: Fleet, environment: str, service: str) -> list[str]:
    """The secrets an instance of ``service`` gets in ``environment``: its own, and the password
    secret of each datastore it uses there."""
    settings = fleet.service(service, environment)
    names = list(settings.secrets)
    for datastore in settings.datastores:
        guard = fleet.datastores[datastore].password_secret if datastore in fleet.datastores else None
        if guard and datastore_exists(fleet, environment, datastore):
            names.append(guard)
    return list(dict.fromkeys(names))


def current_secret_versions(store: Store, fleet: Fleet, environment: str) -> dict[str, str]:
    """Secret -> its AWSCURRENT version id, for every secret the fleet file declares that has one
    (what a deployment pins at its start)."""
    out = {}
    for name in fleet.secrets:
        version = store.secrets.stage_version(environment, name, AWSCURRENT)
        if version is not None:
            out[name] = version
    return out


def pin_releases(
    store: Store,
    fleet: Fleet,
    *,
    environment: str,
    versions: Mapping[str, str],
    execution_id: str,
    created_by: str,
    secret_versions: Mapping[str, str] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Release]:
    """Pin one release per service in ``versions`` (service -> version), in that order.

    ``secret_versions`` maps secret names to the version ids the deployment uses; each release
    records those of the secrets its service uses. Idempotent per execution: a retried
    initialize gets the same releases back.
    """
    known = dict(secret_versions or {})
    now = clock.now()
    pinned = []
    for service, version in versions.items():
        config = resolved_config(fleet, environment, service, version)
        pinned.append(
            store.releases.pin(
                environment=environment,
                service=service,
                version=version,
                config=config,
                secret_versions={
                    name: known[name] for name in secrets_used(fleet, environment, service) if name in known
                },
                execution_id=execution_id,
                created_by=created_by,
                now=now,
            )
        )
    return pinned


def verify_releases(store: Store, pinned: list[Release], *, clock: Clock = SYSTEM_CLOCK) -> list[Release]:
    """Mark every release of a deployment verified (its finalize step: all rollouts and checks passed)."""
    now = clock.now()
    return [store.releases.mark_verified(r.environment, r.service, r.number, now=now) for r in pinned]


def roll_back_pinned(
    store: Store, environment: str, execution_id: str, *, clock: Clock = SYSTEM_CLOCK
) -> list[Release]:
    """Mark every release ``execution_id`` pinned and did not finish ``rolled_back`` (it was
    stopped: its services are back on, or never left, their previous release); those marked."""
    now = clock.now()
    return [
        store.releases.mark_rolled_back(environment, release.service, release.number, now=now)
        for release in store.releases.list(environment=environment, execution_id=execution_id)
        if release.status is ReleaseStatus.PINNED
    ]


def rollback_target(store: Store, environment: str, service: str, number: int) -> Release:
    """Release ``number`` of ``service`` as a rollback target (``rollback --to-release``): it must
    exist and have been verified (running well once); BadInput saying which otherwise."""
    release = store.releases.get(environment, service, number)
    if release is None:
        raise BadInput(
            f"{service} has no release #{number} in {environment} (see `fleetops releases {service}`)"
        )
    if release.status is not ReleaseStatus.VERIFIED:
        raise BadInput(
            f"release #{number} of {service} ({release.version}) is {release.status}: only a verified "
            "release can be rolled back to"
        )
    return release
