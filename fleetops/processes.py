"""Whether a process id names a running process: shared by the CLI and the server."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: object) -> bool:
    """Whether ``pid`` (as read from a state file, so of any type) is a running process.

    A zombie (exited, not yet reaped by its parent) is not running; where /proc is missing
    (macOS) the signal-0 probe alone decides.
    """
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state != "Z"
