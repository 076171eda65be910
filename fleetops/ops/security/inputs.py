"""What the security checks read, as values the control plane fills (tokens, files, listening
sockets, secrets' last rotation); the checks read nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class TokenSeen:
    """An API token, without its secret."""

    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class FileSeen:
    """A state file and its permission bits."""

    path: str
    mode: int
    """``st_mode & 0o777``."""
    sensitive: bool
    """A key or a token (high when others may read it) rather than state (medium)."""


@dataclass(frozen=True)
class Listener:
    """A socket a service's instance listens on."""

    service: str
    instance: str
    address: str
    """``0.0.0.0:8081``, ``127.0.0.1:8081``, ``[::]:8081``."""


@dataclass(frozen=True)
class SecretSeen:
    """A secret with a rotation schedule and when its current value was made."""

    name: str
    every: timedelta
    current_since: datetime | None
    """None: it has no value yet."""
