"""Settings of one control-plane server process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8417
DEFAULT_STATE_DIR = Path(".fleetops")


@dataclass(frozen=True)
class ServerSettings:
    """Where the server keeps its state and where it listens."""

    state_dir: Path = DEFAULT_STATE_DIR
    """Holds the SQLite store (by default), the admin ``token`` file and ``server.json``."""
    database_url: str | None = None
    """The store's URL; ``None`` means ``$FLEETOPS_DATABASE_URL``, else SQLite in ``state_dir``."""
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    """0 picks a free port (``server.json`` tells which)."""
