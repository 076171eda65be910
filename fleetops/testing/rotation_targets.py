"""``FakeRotationTargets``: the datastore logins and instance reports a rotation acts on, in memory.

    targets = FakeRotationTargets()
    targets.fail["set_login"] = "connection refused"     # injected: setSecret fails so
    targets.loaded["orders"] = {"orders-1": {"db-password": version_id}}

Logins are kept per datastore as user -> password (what would log in); ``set_login`` adds one,
``revoke_login`` removes it, ``try_login`` checks it. A key of ``fail`` makes that call raise
``OperationFailed`` with its message, before it changes anything.
"""

from __future__ import annotations

from typing import Any

from fleetops.errors import OperationFailed


class FakeRotationTargets:
    """See the module docstring. A mixin of the in-memory runtimes: its state is made on first
    use, so a subclass need not call its ``__init__``."""

    def _state(self, name: str) -> Any:
        return self.__dict__.setdefault(f"_rotation_{name}", {})

    @property
    def users(self) -> dict[str, str]:
        """Datastore -> the user it uses now (default: ``app``)."""
        value: dict[str, str] = self._state("users")
        return value

    @property
    def logins(self) -> dict[str, dict[str, str]]:
        """Datastore -> user -> password that logs in."""
        value: dict[str, dict[str, str]] = self._state("logins")
        return value

    @property
    def loaded(self) -> dict[str, dict[str, dict[str, str] | None]]:
        """Service -> instance id -> secret versions it reports."""
        value: dict[str, dict[str, dict[str, str] | None]] = self._state("loaded")
        return value

    @property
    def fail(self) -> dict[str, str]:
        """Call name -> the message it fails with."""
        value: dict[str, str] = self._state("fail")
        return value

    def _maybe_fail(self, call: str) -> None:
        if call in self.fail:
            raise OperationFailed(self.fail[call])

    def rotation_user(self, datastore: str) -> str:
        self._maybe_fail("rotation_user")
        current = self.users.get(datastore, "app")
        return "app_clone" if current == "app" else "app"

    def set_login(self, datastore: str, user: str | None, password: str) -> None:
        self._maybe_fail("set_login")
        self.logins.setdefault(datastore, {})[user or "app"] = password

    def try_login(self, datastore: str, user: str | None, password: str) -> None:
        self._maybe_fail("try_login")
        if self.logins.get(datastore, {}).get(user or "app") != password:
            raise OperationFailed(f"datastore {datastore!r}: login as {user!r} refused")

    def revoke_login(self, datastore: str, user: str | None, password: str) -> None:
        self._maybe_fail("revoke_login")
        if self.logins.get(datastore, {}).get(user or "app") == password:
            del self.logins[datastore][user or "app"]

    def loaded_secret_versions(self, service: str) -> dict[str, dict[str, str] | None]:
        self._maybe_fail("loaded_secret_versions")
        return dict(self.loaded.get(service, {}))
