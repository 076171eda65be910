"""The fleet file's services as the local provider runs them, and the secrets it hands them.

``DevSecrets`` is the secret source of a local provider run without a store (the provider tests
and benchmarks): each secret gets a random value (of its ``length``) generated once and kept in
``<state_dir>/secrets.json`` (mode 0600). It has no versions, rotation or encryption at rest.
The server's environments use the store instead (``ops/secrets/vault.py``), which imports such
a file once, so a sandbox made before the store had secrets keeps its values.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from fleetops.private_files import private_folder
from fleetops.providers.local.datastores import LocalDatastore, LocalDatastores, LoginSource
from fleetops.providers.local.service import LocalHealthCheck, ServiceRuntime, env_name
from fleetops.spec.fleet import Fleet

LOCAL_GRACE_PERIOD_S = 30.0
"""How long a new local instance may stay unhealthy before the provider replaces it."""
LOCAL_STOP_GRACE_S = 5.0


def local_services(
    fleet: Fleet, environment: str, datastore_urls: Mapping[str, str] | None = None
) -> list[ServiceRuntime]:
    """Every service of ``fleet`` with a ``run`` section, as it runs in ``environment``; each
    datastore it names that has a URL in ``datastore_urls`` is given as ``<NAME>_URL``."""
    urls = datastore_urls or {}
    out = []
    for name in fleet.services:
        service = fleet.service(name, environment)
        if service.run is None:
            continue
        health = service.health
        out.append(
            ServiceRuntime(
                name=name,
                command=service.run.command,
                cwd=(fleet.base_dir / (service.run.cwd or ".")).resolve(),
                env=dict(service.env)
                | dict(service.run.env)
                | {f"{env_name(d)}_URL": urls[d] for d in service.datastores if d in urls},
                version_env={version: dict(o.env) for version, o in service.versions.items()},
                secrets=tuple(service.secrets),
                depends_on=tuple(service.depends_on),
                datastores=tuple(d for d in service.datastores if d in urls),
                health=LocalHealthCheck(
                    path=health.path,
                    interval=health.interval.total_seconds(),
                    timeout=health.timeout.total_seconds(),
                    healthy_threshold=health.healthy_threshold,
                    unhealthy_threshold=health.unhealthy_threshold,
                    matcher=health.matcher,
                    grace_period=LOCAL_GRACE_PERIOD_S,
                ),
                deregistration_delay=service.deploy.deregistration_delay.total_seconds(),
                stop_grace=LOCAL_STOP_GRACE_S,
            )
        )
    return out


def fixed_ports(fleet: Fleet, environment: str) -> dict[str, int]:
    """The load-balancer ports the fleet file pins (``run.port``)."""
    return {
        name: service.run.port
        for name in fleet.services
        if (service := fleet.service(name, environment)).run is not None and service.run.port is not None
    }


def local_datastores(
    fleet: Fleet,
    environment: str,
    state_dir: Path,
    logins: LoginSource | None = None,
    previous_logins: LoginSource | None = None,
) -> LocalDatastores:
    """The datastores existing in ``environment`` as private servers under
    ``<state_dir>/datastores/``: PostgreSQL's user and database, Redis' database index are the
    ones the fleet file's connection URL names (its host and port are the real deployment's);
    ``logins``: the current login of each one linked to a secret (``password_secret``),
    ``previous_logins`` its AWSPREVIOUS one."""
    stores = []
    for name, store in fleet.datastores.items():
        if store.environments is not None and environment not in store.environments:
            continue
        parts = urlsplit(store.connection)
        path = parts.path.strip("/")
        kind = store.kind.value
        secret = store.password_secret if kind in ("postgres", "redis") else None
        if kind == "redis":
            stores.append(
                LocalDatastore(name, kind, db=int(path) if path.isdigit() else 0, password_secret=secret)
            )
        else:
            default = name.replace("-", "_")
            stores.append(
                LocalDatastore(
                    name,
                    kind,
                    user=parts.username or default,
                    database=path or default,
                    password_secret=secret,
                )
            )
    return LocalDatastores(stores, state_dir / "datastores", logins, previous_logins)


class DevSecrets:
    """Random values per secret name, generated once, kept in ``<state_dir>/secrets.json``."""

    def __init__(self, state_dir: Path, lengths: dict[str, int]) -> None:
        self.path = state_dir / "secrets.json"
        self._lengths = lengths
        self._lock = threading.Lock()
        self._known: frozenset[str] | None = None

    def values(self) -> frozenset[str]:
        """Every secret value this environment has handed out (what redaction removes); read
        from the file once, then kept in memory (each new value is added as it is made)."""
        with self._lock:
            if self._known is None:
                self._known = frozenset(self._read().values())
            return self._known

    def _read(self) -> dict[str, str]:
        values: dict[str, str] = json.loads(self.path.read_text()) if self.path.exists() else {}
        return values

    def __call__(self, name: str) -> str:
        """The value of secret ``name``, generating it on first use."""
        with self._lock:
            values = self._read()
            if name not in values:
                length = self._lengths.get(name, 32)
                values[name] = secrets.token_urlsafe(length)[:length]
                private_folder(self.path.parent)
                pending = self.path.with_suffix(".tmp")
                fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as handle:
                    json.dump(values, handle)
                os.replace(pending, self.path)
            self._known = frozenset(values.values())  # what redaction removes, read fresh
            return values[name]


def dev_secrets(fleet: Fleet, state_dir: Path) -> DevSecrets:
    """The sandbox secret source for ``fleet``'s declared secrets."""
    return DevSecrets(state_dir, {name: secret.length for name, secret in fleet.secrets.items()})
