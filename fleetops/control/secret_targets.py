"""``LocalSecretTargets``: what a rotation acts on in a local environment (``RotationTargets``).

Logins are set, tried and revoked on the environment's sandbox datastores
(``fleetops.providers.local.datastore_logins``), connecting with the datastore's current login
(its secret's AWSCURRENT version), which a rotation never touches before finishSecret; setSecret
falls back to the AWSPREVIOUS login when the server refuses it (a value put outside a rotation).
Pickup is read from the instances themselves: each running instance's health endpoint is asked
which secret versions it loaded (``secret_versions`` in its JSON answer; the example services
echo ``FLEETOPS_SECRET_VERSIONS`` there). Called from the runbooks' worker threads.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from fleetops.errors import BadInput, OperationFailed
from fleetops.providers.base import InstanceInfo, InstanceState
from fleetops.providers.local.datastore_logins import (
    LoginFailed,
    alternate_user,
    revoke_login,
    set_login,
    try_login,
)
from fleetops.providers.local.datastores import LocalDatastores, Login

PICKUP_TIMEOUT_S = 2.0
_GONE = (InstanceState.TERMINATED,)


class LocalSecretTargets:
    """See the module docstring."""

    def __init__(
        self,
        datastores: LocalDatastores | None,
        instances: Callable[[str], list[InstanceInfo]],
        health_path: Callable[[str], str],
    ) -> None:
        self._datastores = datastores
        self._instances = instances
        self._health_path = health_path

    def rotation_user(self, datastore: str) -> str:
        stores = self._stores(datastore)
        store = stores.stores[datastore]
        current = stores.login(datastore).user
        return alternate_user(store.user, current) if store.kind == "postgres" else current

    def set_login(self, datastore: str, user: str | None, password: str) -> None:
        stores = self._stores(datastore)
        login = self._login(datastore, user, password)
        current = stores.login(datastore)
        try:
            self._act(set_login, stores, datastore, login, admin=current)
        except LoginFailed:
            # The secret's value was changed outside a rotation (put-secret-value, update-secret:
            # Secrets Manager never touches the database), so the server still has the one now
            # AWSPREVIOUS: try that, as AWS's own rotation functions do in setSecret.
            previous = stores.previous_login(datastore)
            if previous is None or previous == current:
                raise
            self._act(set_login, stores, datastore, login, admin=previous)

    def try_login(self, datastore: str, user: str | None, password: str) -> None:
        self._act(try_login, self._stores(datastore), datastore, self._login(datastore, user, password))

    def revoke_login(self, datastore: str, user: str | None, password: str) -> None:
        stores = self._stores(datastore)
        login = self._login(datastore, user, password)
        self._act(revoke_login, stores, datastore, login, admin=stores.login(datastore))

    def _login(self, datastore: str, user: str | None, password: str) -> Login:
        return Login(user or self._stores(datastore).default_user(datastore), password)

    def loaded_secret_versions(self, service: str) -> dict[str, dict[str, str] | None]:
        out: dict[str, dict[str, str] | None] = {}
        path = self._health_path(service)
        with httpx.Client(timeout=PICKUP_TIMEOUT_S) as client:
            for instance in self._instances(service):
                if instance.state in _GONE:
                    continue
                out[instance.id] = _reported(client, f"http://{instance.address}:{instance.port}{path}")
        return out

    def _stores(self, datastore: str) -> LocalDatastores:
        if self._datastores is None or datastore not in self._datastores.stores:
            raise BadInput(f"datastore {datastore!r} does not run in this environment")
        return self._datastores

    @staticmethod
    def _act(action: Callable[..., None], *args: object, **kwargs: object) -> None:
        try:
            action(*args, **kwargs)
        except LoginFailed:
            raise
        except Exception as err:  # a driver error: its type only, its text might quote a statement
            raise OperationFailed(f"{type(err).__name__} while changing a datastore login") from err


def _reported(client: httpx.Client, url: str) -> dict[str, str] | None:
    """The ``secret_versions`` an instance's health endpoint reports (None: no answer, or none)."""
    try:
        body = client.get(url).json()
    except (httpx.HTTPError, ValueError):
        return None
    versions = body.get("secret_versions") if isinstance(body, dict) else None
    if not isinstance(versions, dict):
        return None
    return {str(k): str(v) for k, v in versions.items()}


class NoRotationTargets:
    """The ``RotationTargets`` of an environment where rotation is not built (aws): every call
    is refused, before anything changed."""

    def rotation_user(self, datastore: str) -> str:
        raise _not_here()

    def set_login(self, datastore: str, user: str | None, password: str) -> None:
        raise _not_here()

    def try_login(self, datastore: str, user: str | None, password: str) -> None:
        raise _not_here()

    def revoke_login(self, datastore: str, user: str | None, password: str) -> None:
        raise _not_here()

    def loaded_secret_versions(self, service: str) -> dict[str, dict[str, str] | None]:
        raise _not_here()


def _not_here() -> BadInput:
    return BadInput("rotating a datastore password is built for local environments only (not aws yet)")
