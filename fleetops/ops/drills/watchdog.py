"""The watchdog of a ``control-plane-crash`` drill: a process of its own, started by the drill
before it SIGKILLs the control plane, that outlives it.

    python -m fleetops.ops.drills.watchdog FOLDER      # FOLDER/spec.json says what to watch

It does what the control plane cannot do for itself once killed:

- the steady client: it requests the deployed services through their load balancers every
  100 ms from before the kill until the drill's report, so the report counts the requests that
  failed while no control plane ran (the clients of the control plane die with it);
- the restart: once the server's process is gone, it runs ``fleetops up`` for the fleet file
  and environment (what an operator, or a supervisor such as systemd, does after a crash), in
  the fleet file's folder and with the server's environment variables.

It writes what it saw to ``FOLDER/watch.json`` (replaced atomically, every half second and at
its end): its pid, the client's counts, when the server was seen dead, when ``fleetops up``
started and returned, with its exit code, and ``final`` once it has stopped. It stops when
``FOLDER/stop`` appears (the drill's report, or a stopped drill) or at the spec's deadline, so a
lost drill never leaves it running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleetops.clock import SYSTEM_CLOCK
from fleetops.ops.drills.steady_client import SteadyClients
from fleetops.processes import pid_alive

SPEC_FILE = "spec.json"
WATCH_FILE = "watch.json"
STOP_FILE = "stop"
LOG_FILE = "watchdog.log"
_LOOK_S = 0.02
"""How often the server's pid is looked at (the precision of the moment it was seen dead)."""
_WRITE_S = 0.5


@dataclass(frozen=True)
class WatchSpec:
    """What the watchdog watches and restarts (``FOLDER/spec.json``)."""

    server_pid: int
    fleet_file: str
    environment: str
    urls: list[str]
    deadline: float
    """Epoch seconds after which it stops whatever happened."""
    up_timeout_s: float = 120.0

    @classmethod
    def read(cls, folder: Path) -> WatchSpec:
        """The spec in ``folder``."""
        return cls(**json.loads((folder / SPEC_FILE).read_text()))

    def write(self, folder: Path) -> None:
        """Keep the spec in ``folder`` (created when missing)."""
        folder.mkdir(parents=True, exist_ok=True)
        _write_json(folder / SPEC_FILE, self.__dict__)


def start(folder: Path) -> int:
    """Start the watchdog of ``folder`` (its spec written already) in a session of its own, so
    it outlives the control plane; its pid."""
    with (folder / LOG_FILE).open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "fleetops.ops.drills.watchdog", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process.pid


def read_watch(folder: Path) -> dict[str, Any] | None:
    """What the watchdog of ``folder`` wrote last (None before its first write)."""
    try:
        found: dict[str, Any] = json.loads((folder / WATCH_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return found


def request_stop(folder: Path) -> None:
    """Ask the watchdog of ``folder`` to stop (it writes its final counts, then exits)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STOP_FILE).touch()


def _write_json(path: Path, value: Any) -> None:
    pending = path.with_name(f".{path.name}.{os.getpid()}")
    pending.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(pending, path)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _restart(spec: WatchSpec, seen: dict[str, Any]) -> None:
    fleet_file = Path(spec.fleet_file)
    seen["restart_started_at"] = _now()
    command = [sys.executable, "-m", "fleetops", "up", "--file", str(fleet_file), "--env", spec.environment]
    command += ["--output", "json", "--timeout", str(spec.up_timeout_s)]
    try:
        done = subprocess.run(
            command,
            cwd=fleet_file.parent,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=spec.up_timeout_s + 60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        seen |= {"restarted_at": _now(), "up_exit_code": None, "up_error": "fleetops up did not return"}
        return
    seen |= {"restarted_at": _now(), "up_exit_code": done.returncode}
    if done.returncode != 0:
        seen["up_error"] = done.stderr.strip()[-2000:]
        return
    try:
        seen["new_pid"] = json.loads(done.stdout)["server"]["pid"]
    except (ValueError, KeyError, TypeError):
        seen["new_pid"] = None


def watch(folder: Path) -> None:
    """Run the watchdog of ``folder`` (see the module docstring) until stopped."""
    spec = WatchSpec.read(folder)
    clients = SteadyClients(SYSTEM_CLOCK)
    clients.start("drill", spec.urls)
    seen: dict[str, Any] = {"pid": os.getpid(), "started_at": _now(), "final": False}
    written = 0.0

    def write(final: bool = False) -> None:
        counts = clients.counts("drill")
        seen["client"] = None if counts is None else counts.to_json()
        seen["final"] = final
        _write_json(folder / WATCH_FILE, seen)

    try:
        write()
        while not (folder / STOP_FILE).exists() and time.time() < spec.deadline:
            if "dead_at" not in seen and not pid_alive(spec.server_pid):
                seen["dead_at"] = _now()
                write()
                _restart(spec, seen)
            if time.monotonic() - written > _WRITE_S:
                write()
                written = time.monotonic()
            time.sleep(_LOOK_S)
    finally:
        counts = clients.stop("drill")
        seen["client"] = None if counts is None else counts.to_json()
        seen["ended_at"] = _now()
        seen["final"] = True
        _write_json(folder / WATCH_FILE, seen)


if __name__ == "__main__":
    watch(Path(sys.argv[1]))
