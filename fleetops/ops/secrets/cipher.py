"""Encryption of secret values at rest: AES-256-GCM under a key kept in a file, not in the database.

The key is 32 random bytes in ``<state dir>/secrets.key``, created mode 0600 on first use (by
whichever process gets there first: the file is linked into place whole, a second creator reads
the first one's key). Whoever copies the database alone gets ciphertext only.

A sealed value is ``b"\\x01" + nonce (12 bytes) + ciphertext-and-tag``; the first byte names the
format so a later one (another key, another algorithm) can be told apart. The environment, the
secret's name and the version id are the associated data: a ciphertext copied onto another
version's row does not decrypt.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fleetops.errors import FleetopsError
from fleetops.private_files import FILE_MODE, private_folder

KEY_FILE = "secrets.key"
KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT = b"\x01"


class SecretKeyError(FleetopsError):
    """The key file is unusable, or a value does not decrypt under it."""


def key_file(state_dir: Path) -> Path:
    """Where the key of ``state_dir``'s store lives."""
    return state_dir / KEY_FILE


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``, created (mode 0600) when missing; ``SecretKeyError`` for a file that
    is not a key, or that others may read."""
    private_folder(path.parent)
    if not path.exists():
        # Written whole under another name, then linked into place: a second creator either
        # wins the link or reads the first one's complete key, never half of one.
        pending = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
        fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(os.urandom(KEY_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
            os.link(pending, path)
        except FileExistsError:
            pass
        finally:
            pending.unlink()
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SecretKeyError(f"{path} has mode {mode:o}: others may read it; run chmod 600 {path}")
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise SecretKeyError(f"{path} holds {len(key)} bytes, not a {KEY_BYTES}-byte key")
    return key


class Cipher:
    """Seals and opens secret values with one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a secrets key is {KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(key)

    @classmethod
    def from_state_dir(cls, state_dir: Path) -> Cipher:
        """The cipher of ``state_dir``'s key file (created on first use)."""
        return cls(load_or_create_key(key_file(state_dir)))

    def seal(self, value: str, context: str) -> bytes:
        """``value`` encrypted, bound to ``context`` (environment/name/version)."""
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT + nonce + self._aead.encrypt(nonce, value.encode(), context.encode())

    def open(self, sealed: bytes, context: str) -> str:
        """The value ``seal`` was given; ``SecretKeyError`` when it was sealed under another key
        or for another ``context``."""
        if sealed[:1] != FORMAT:
            raise SecretKeyError(f"secret {context}: unknown ciphertext format {sealed[:1]!r}")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, context.encode()).decode()
        except InvalidTag as err:
            raise SecretKeyError(
                f"secret {context} does not decrypt with this key file: was the database copied "
                "without its secrets.key?"
            ) from err
