"""The secrets of every environment: values in, values out, encrypted in between.

``SecretsVault`` is the one way to a secret's value: it seals values with the :class:`Cipher`
before the store sees them and opens them for the few callers allowed a value (the local
provider starting an instance, ``get --reveal``, redaction). Everything else (list, describe,
versions, history) reads the store's metadata and never decrypts.

One vault serves every environment of a server. It keeps, per environment, the values
redaction removes (every version of every secret, revoked ones too) in memory and
forgets them whenever it changes a label, so a rotation is redacted from its first moment. A
change made by another server sharing the database is seen once this vault changes something
or ``refresh()`` is called.

Runs on any thread: the store is thread-safe and the cache is behind a lock.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.errors import BadInput
from fleetops.ops.secrets.cipher import Cipher
from fleetops.ops.secrets.generate import generate_value
from fleetops.redaction import MIN_SECRET_LENGTH
from fleetops.store import Store
from fleetops.store.secrets import AWSCURRENT, STAGES, SecretVersion

MAX_VALUE_BYTES = 65536
"""Secrets Manager's limit on a secret value."""


class SecretNotFound(BadInput):
    """No such secret, or no version with that label or id."""


@dataclass(frozen=True)
class Revealed:
    """A version and its value: only for callers allowed to see it."""

    version: SecretVersion
    value: str


class SecretsVault:
    """Versions of secrets with their values sealed (see the module docstring)."""

    def __init__(self, store: Store, cipher: Cipher, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._store = store
        self._cipher = cipher
        self._clock = clock
        self._lock = threading.Lock()
        self._redacted: dict[str, frozenset[str]] = {}
        self._generation = 0  # bumped by every refresh: a read begun before one is not kept

    def put(
        self,
        environment: str,
        name: str,
        value: str,
        *,
        by: str,
        source: str = "put",
        stages: Sequence[str] = (AWSCURRENT,),
        version_id: str | None = None,
        username: str | None = None,
    ) -> SecretVersion:
        """A new version holding ``value`` (its id ``version_id``, default a new UUID), with
        ``stages`` moved onto it. ``BadInput`` for a value redaction could not remove (shorter
        than 4 characters) or longer than 64 KiB."""
        check_value(name, value)
        version_id = version_id or str(uuid.uuid4())
        if username is None and AWSCURRENT in stages:
            # A value put outside a rotation (put-secret-value, update-secret) is the password of
            # the login the secret names now: a rotation alternates a datastore's two users, and
            # a put keeps the one in use, as the username of AWS's JSON secret is carried along.
            username = self._current_username(environment, name)
        sealed = self._cipher.seal(value, _context(environment, name, version_id))
        try:
            return self._store.secrets.add_version(
                environment, name, version_id=version_id, ciphertext=sealed, source=source, by=by,
                at=self._clock.now(), stages=stages, username=username,
            )  # fmt: skip
        finally:
            self.refresh(environment)

    def _current_username(self, environment: str, name: str) -> str | None:
        current = self._store.secrets.stage_version(environment, name, AWSCURRENT)
        if current is None:  # the first version
            return None
        found = [
            v.username for v in self._store.secrets.versions(environment, name) if v.version_id == current
        ]
        return found[0] if found else None

    def move_stage(self, environment: str, name: str, stage: str, version_id: str, *, by: str) -> None:
        """Put ``stage`` on ``version_id`` (``AWSCURRENT``'s old holder gets ``AWSPREVIOUS``)."""
        try:
            self._store.secrets.move_stage(environment, name, stage, version_id, by=by, at=self._clock.now())
        except KeyError as err:
            raise SecretNotFound(str(err.args[0])) from err
        finally:
            self.refresh(environment)

    def remove_stage(self, environment: str, name: str, stage: str, *, by: str) -> str | None:
        """Take ``stage`` off its version; the version it was on (None: on none)."""
        try:
            return self._store.secrets.remove_stage(environment, name, stage, by=by, at=self._clock.now())
        finally:
            self.refresh(environment)

    def versions(self, environment: str, name: str) -> list[SecretVersion]:
        """The secret's versions, oldest first; ``SecretNotFound`` when it has none."""
        versions = self._store.secrets.versions(environment, name)
        if not versions:
            raise SecretNotFound(f"no secret {name!r} in environment {environment!r}")
        return versions

    def reveal(
        self, environment: str, name: str, *, stage: str | None = None, version_id: str | None = None
    ) -> Revealed:
        """The version ``stage`` is on (or ``version_id``; neither: AWSCURRENT) and its value."""
        if stage is not None and stage not in STAGES:
            raise BadInput(f"version stage {stage!r} is not one of {list(STAGES)}")
        versions = {version.version_id: version for version in self.versions(environment, name)}
        wanted = version_id or self._store.secrets.stage_version(environment, name, stage or AWSCURRENT)
        if wanted is None or wanted not in versions:
            what = f"version {version_id!r}" if version_id else f"version with label {stage or AWSCURRENT}"
            raise SecretNotFound(f"secret {name!r} in environment {environment!r} has no {what}")
        sealed = self._store.secrets.ciphertext(environment, name, wanted)
        if sealed is None:  # versions are never deleted; this is a database edited by hand
            raise SecretNotFound(f"secret {name!r} in environment {environment!r} lost version {wanted}")
        return Revealed(versions[wanted], self._cipher.open(sealed, _context(environment, name, wanted)))

    def current(self, environment: str, name: str) -> str:
        """The AWSCURRENT value (what an instance is started with)."""
        return self.reveal(environment, name).value

    def lookup(self, environment: str, name: str) -> str | None:
        """The AWSCURRENT value, None when the secret has none (a notification channel's key)."""
        try:
            return self.current(environment, name)
        except SecretNotFound:
            return None

    def resolve(self, environment: str, name: str, pinned: str | None = None) -> Revealed:
        """What an instance is started with: the ``pinned`` version (a release's) while it is
        still valid (it holds a label), else AWSCURRENT: a revoked value is never handed out."""
        if pinned is not None:
            version = next(
                (v for v in self._store.secrets.versions(environment, name) if v.version_id == pinned), None
            )
            if version is not None and version.valid:
                return self.reveal(environment, name, version_id=pinned)
        return self.reveal(environment, name)

    def note(
        self,
        environment: str,
        name: str,
        action: str,
        version_id: str | None,
        *,
        by: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """A line in the secret's history that moves no label (``version.revoked``)."""
        self._store.secrets.note(
            environment, name, action, version_id, by=by, at=self._clock.now(), detail=detail
        )

    def ensure(self, environment: str, name: str, length: int, *, by: str) -> SecretVersion | None:
        """Give a secret without versions its first one (generated, AWSCURRENT); the new version,
        or None when it had one already."""
        if self._store.secrets.stage_version(environment, name, AWSCURRENT) is not None:
            return None
        return self.put(environment, name, generate_value(length), by=by, source="generated")

    def import_values_file(self, environment: str, path: Path, *, by: str) -> list[str]:
        """Import the sandbox's old ``secrets.json`` (name -> value, what fleetops kept before
        it had a store) once: each secret without versions gets its value as its first version,
        so running instances keep working; then the clear-text file is removed. The names
        imported, sorted."""
        if not path.exists():
            return []
        try:
            values = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise BadInput(f"{path}: not the JSON object of secret values fleetops wrote: {err}") from err
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise BadInput(f"{path}: expected a JSON object of secret name -> value")
        imported = []
        for name, value in sorted(values.items()):
            if self._store.secrets.stage_version(environment, name, AWSCURRENT) is None:
                self.put(environment, name, value, by=by, source="imported")
                imported.append(name)
        path.unlink()
        return imported

    def redaction_values(self, environment: str) -> frozenset[str]:
        """The values redaction removes for ``environment`` (every version of every secret: a
        revoked password is still a password), from memory after the first read."""
        with self._lock:
            known = self._redacted.get(environment)
            generation = self._generation
        if known is not None:
            return known
        staged = self._store.secrets.all_ciphertexts(environment)
        values = frozenset(
            self._cipher.open(item.ciphertext, _context(environment, item.name, item.version_id))
            for item in staged
        )
        with self._lock:
            if generation == self._generation:
                self._redacted[environment] = values
        return values

    def refresh(self, environment: str | None = None) -> None:
        """Forget the redaction values of ``environment`` (None: of all), to read them again."""
        with self._lock:
            self._generation += 1
            if environment is None:
                self._redacted.clear()
            else:
                self._redacted.pop(environment, None)


def check_value(name: str, value: str) -> None:
    """``BadInput`` for a value fleetops cannot store safely."""
    if len(value) < MIN_SECRET_LENGTH:
        raise BadInput(
            f"secret {name!r}: a value shorter than {MIN_SECRET_LENGTH} characters cannot be redacted "
            "from logs reliably; use a longer one"
        )
    if len(value.encode()) > MAX_VALUE_BYTES:
        raise BadInput(
            f"secret {name!r}: the value is {len(value.encode())} bytes, at most {MAX_VALUE_BYTES}"
        )


def _context(environment: str, name: str, version_id: str) -> str:
    return f"{environment}/{name}/{version_id}"
