"""Settings of one control-plane server process."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8417
DEFAULT_STATE_DIR = Path(".fleetops")
SERVER_FILE = "server.json"
TOKEN_FILE = "token"
ENVIRONMENTS_DIR = "envs"
"""Each running environment keeps its processes' state in ``<state dir>/envs/<environment>/``."""


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
    """The environment started with the server (``POST /environments`` starts more)."""
    more_environments: tuple[str, ...] = ()
    """Further environments started with the server (``up`` restarting a crashed one)."""
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


def record_environments(state_dir: Path, environments: list[str]) -> None:
    """Keep ``environments`` (those running) in this process's ``server.json``, so that ``up``
    restarting a crashed server starts them all again."""
    info = read_server_file(state_dir)
    if info is None or info.get("pid") != os.getpid():
        return
    info["environments"] = environments
    path = state_dir / SERVER_FILE
    pending = path.with_name(f".{path.name}.{os.getpid()}")
    pending.write_text(json.dumps(info, indent=2) + "\n")
    os.replace(pending, path)


def environment_state_dir(state_dir: Path, environment: str) -> Path:
    """Where ``environment``'s processes keep their state: HAProxy, pid files, logs, data."""
    return state_dir / ENVIRONMENTS_DIR / environment


def pid_dirs(state_dir: Path) -> list[Path]:
    """Every folder of pid files under ``state_dir``: each environment's, and the top one that
    servers before per-environment folders used."""
    return [state_dir / "pids", *sorted((state_dir / ENVIRONMENTS_DIR).glob("*/pids"))]
