"""Task handlers that record every call in a file, for tests of durability across processes.

Load them into a server with ``FLEETOPS_HANDLERS=fleetops.testing.recording:register`` and
``FLEETOPS_RECORDING_DIR=<dir>``. ``fleetops:record`` appends ``<item>`` to ``<dir>/calls``
and returns ``{"done": <item>}``; while ``<dir>/hang-<item>`` exists it does not return (a
task in flight when the server is killed). ``fleetops:submit`` (for ``.waitForTaskToken``)
records its call the same way and writes the task token to ``<dir>/token-<item>``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from fleetops.engine import Registry, TaskContext

RECORDING_DIR_ENV = "FLEETOPS_RECORDING_DIR"


def recording_dir() -> Path:
    """Where calls are recorded (``$FLEETOPS_RECORDING_DIR``)."""
    return Path(os.environ[RECORDING_DIR_ENV])


def record(payload: Any) -> dict[str, Any]:
    """Record the call, hang while asked to, return what was done."""
    item = str(payload.get("item") if isinstance(payload, dict) else payload)
    where = recording_dir()
    with (where / "calls").open("a") as calls:
        calls.write(item + "\n")
    while (where / f"hang-{item}").exists():
        time.sleep(0.02)
    return {"done": item}


def submit(payload: Any, context: TaskContext) -> None:
    """Record the call and leave the task token where a test (or a person) can send it back."""
    item = str(payload.get("item") if isinstance(payload, dict) else payload)
    where = recording_dir()
    with (where / "calls").open("a") as calls:
        calls.write(item + "\n")
    (where / f"token-{item}").write_text(context.task_token or "")


def calls(where: Path) -> list[str]:
    """The recorded calls, in order."""
    path = where / "calls"
    return path.read_text().split() if path.exists() else []


def register(registry: Registry) -> None:
    """Register ``fleetops:record`` and ``fleetops:submit``."""
    registry.register("fleetops:record", record)
    registry.register("fleetops:submit", submit)
