"""Where fleetops keeps what it can make again (templates of new databases), per user."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "FLEETOPS_CACHE_DIR"


def cache_dir() -> Path:
    """Where fleetops keeps what it can make again: ``$FLEETOPS_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/fleetops``, else ``~/.cache/fleetops``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "fleetops"
