"""``LocalSecretTargets`` on a real sandbox PostgreSQL: the logins a rotation sets and tries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.control.secret_targets import LocalSecretTargets
from fleetops.providers.local.datastore_logins import LoginFailed
from fleetops.providers.local.datastores import LocalDatastore, LocalDatastores

ORDERS_DB = LocalDatastore(
    "orders-db", "postgres", user="orders", database="orders", password_secret="db-password"
)


class Secret:
    """db-password's AWSCURRENT and AWSPREVIOUS logins, as the secrets store would answer."""

    def __init__(self) -> None:
        self.current: tuple[str | None, str] = ("orders", "first-password")
        self.previous: tuple[str | None, str] | None = None

    def put(self, value: str) -> None:
        """A new value outside a rotation (put-secret-value): the server is not told."""
        self.current, self.previous = (self.current[0], value), self.current


@pytest.fixture
def secret() -> Secret:
    return Secret()


@pytest.fixture
def targets(tmp_path: Path, secret: Secret) -> Iterator[LocalSecretTargets]:
    stores = LocalDatastores(
        [ORDERS_DB],
        tmp_path / "datastores",
        logins=lambda _name: secret.current,
        previous_logins=lambda _name: secret.previous,
    )
    stores.start()
    try:
        yield LocalSecretTargets(stores, lambda _service: [], lambda _service: "/health")
    finally:
        stores.stop()


def test_a_value_put_outside_a_rotation_is_set_through_the_previous_login(
    targets: LocalSecretTargets, secret: Secret
) -> None:
    secret.put("a-value-the-server-never-had")
    user = targets.rotation_user("orders-db")
    targets.set_login("orders-db", user, "rotated-password")
    targets.try_login("orders-db", user, "rotated-password")  # raises LoginFailed if refused


def test_with_no_login_the_server_accepts_the_rotation_fails_saying_so(
    targets: LocalSecretTargets, secret: Secret
) -> None:
    secret.current = ("orders", "a-value-the-server-never-had")  # and no AWSPREVIOUS
    with pytest.raises(LoginFailed, match=r"datastore 'orders-db': login as 'orders' refused"):
        targets.set_login("orders-db", targets.rotation_user("orders-db"), "rotated-password")
