"""Settings of one control-plane server process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8417
DEFAULT_STATE_DIR = Path(".fleetops")
SERVER_FILE = "server.json"
TOKEN_FILE = "token"


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
    fleet_file: Path | None = None
    """When set, the server runs this fleet's ``environment`` (a ``FleetRuntime``) while it runs."""
    environment: str = "dev"
    initial_version: str = "v1"
    """The version services start at when the store has no state for them yet."""
    handlers: tuple[str, ...] = ()
    lease_seconds: float = 30.0
    """How long this server's hold on an execution lasts unrenewed (a dead server's run moves after it)."""
    renew_seconds: float = 10.0
    """How often leases are renewed and executions nobody holds are looked for."""
    """``module:function`` entries called with the engine's Registry at start (and ``$FLEETOPS_HANDLERS``)."""


def read_server_file(state_dir: Path) -> dict[str, Any] | None:
    """``state_dir/server.json`` (url, pid, state_dir, started_at) of a running server, if any.

    Light on imports on purpose: the CLI reads it on every command that talks to the server.
    """
    try:
        data = json.loads((state_dir / SERVER_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None
