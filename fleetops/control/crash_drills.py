"""``LocalCrashControl``: the control-plane-crash drill's port (``runbooks.ports.CrashDrillControl``)
over this control plane's own process and one running local environment.

The drill keeps its records in ``<environment state>/drills/<drill>/``: ``crash.json`` (the pid
killed and when, written before the kill, so the kill step run again after the restart knows
it happened) and the watchdog's files (``fleetops.ops.drills.watchdog``).

Runs on the engine's handler threads.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fleetops.clock import SYSTEM_CLOCK
from fleetops.control.fleet import FleetRuntime
from fleetops.errors import OperationFailed
from fleetops.ops.drills import watchdog as crash_watchdog
from fleetops.processes import pid_alive
from fleetops.providers.base import InstanceState
from fleetops.runbooks.ports import ChildDeployment, CrashRecord

CRASH_FILE = "crash.json"
_LIVE = (InstanceState.PENDING, InstanceState.IN_SERVICE)
_STOP_WAIT_S = 5.0
"""How long stopping the watchdog waits for its final counts and its exit (it looks every 20 ms)."""


@dataclass(frozen=True)
class ControlPlaneProcess:
    """This control plane's process, as a watchdog restarts it (``fleetops up``)."""

    fleet_file: Path | None
    """The fleet file it runs (None: started without one, then nothing could restart it)."""
    started_at: datetime


@dataclass(frozen=True)
class ChildDeploy:
    """The deployment a drill starts: execution ``name`` of the deploy runbook."""

    name: str
    environment: str
    version: str
    services: list[str]
    requested_by: str


StartDeploy = Callable[[ChildDeploy], None]
ReadDeploy = Callable[[str, datetime | None], ChildDeployment]


class LocalCrashControl:
    """See the module docstring."""

    def __init__(
        self,
        runtime: FleetRuntime,
        process: ControlPlaneProcess,
        *,
        start_deploy: StartDeploy,
        read_deploy: ReadDeploy,
    ) -> None:
        self.runtime = runtime
        self.environment = runtime.environment
        self.process = process
        self._start_deploy = start_deploy
        self._read_deploy = read_deploy

    def _folder(self, drill: str) -> Path:
        state_dir = getattr(self.runtime.provider, "state_dir", None)
        if not isinstance(state_dir, Path):
            raise OperationFailed(f"environment {self.environment!r} keeps no state on this machine")
        return state_dir / "drills" / drill

    def restartable(self) -> str | None:
        """See ``CrashDrillControl.restartable``."""
        if self.process.fleet_file is None:
            return "this control plane runs no fleet file, so `fleetops up` could not start it again"
        return None

    def current_versions(self) -> dict[str, str]:
        """See ``CrashDrillControl.current_versions``."""
        return self.runtime.current_versions()

    def client_urls(self, services: list[str]) -> list[str]:
        """See ``CrashDrillControl.client_urls``."""
        return [
            self.runtime.endpoint(s) + self.runtime.fleet.service(s, self.environment).health.path
            for s in services
        ]

    def start_watchdog(self, drill: str, urls: list[str], max_seconds: float) -> int:
        """See ``CrashDrillControl.start_watchdog``."""
        folder = self._folder(drill)
        seen = crash_watchdog.read_watch(folder)
        if seen is not None and pid_alive(seen.get("pid")):
            return int(seen["pid"])
        if self.process.fleet_file is None:
            raise OperationFailed(str(self.restartable()))
        crash_watchdog.WatchSpec(
            server_pid=os.getpid(),
            fleet_file=str(self.process.fleet_file),
            environment=self.environment,
            urls=urls,
            deadline=time.time() + max_seconds,
        ).write(folder)
        pid = crash_watchdog.start(folder)
        # Its first write says it runs (and its client has started) before the kill can come.
        deadline = time.monotonic() + 30
        while crash_watchdog.read_watch(folder) is None:
            if not pid_alive(pid) or time.monotonic() > deadline:
                log = (folder / crash_watchdog.LOG_FILE).read_text(errors="replace")[-1000:]
                raise OperationFailed(f"the drill's watchdog did not start: {log or 'no output'}")
            time.sleep(0.05)
        return pid

    def start_deployment(self, name: str, version: str, services: list[str], requested_by: str) -> None:
        """See ``CrashDrillControl.start_deployment``."""
        self._start_deploy(ChildDeploy(name, self.environment, version, services, requested_by))

    def deployment(self, name: str, after: datetime | None) -> ChildDeployment:
        """See ``CrashDrillControl.deployment``."""
        return self._read_deploy(name, after)

    def crash(self, drill: str) -> CrashRecord:
        """See ``CrashDrillControl.crash``."""
        path = self._folder(drill) / CRASH_FILE
        try:
            recorded = json.loads(path.read_text())
        except FileNotFoundError:
            recorded = None
        if recorded is not None and recorded["pid"] != os.getpid():
            return CrashRecord(int(recorded["pid"]), datetime.fromisoformat(recorded["at"]))
        seen = crash_watchdog.read_watch(self._folder(drill))
        if seen is None or not pid_alive(seen.get("pid")):
            raise OperationFailed(
                "the drill's watchdog does not run: nothing would restart this control plane"
            )
        at = SYSTEM_CLOCK.now()
        pending = path.with_name(f".{path.name}.{os.getpid()}")
        with pending.open("w") as out:
            out.write(json.dumps({"pid": os.getpid(), "at": at.isoformat()}) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(pending, path)
        # SIGKILL cannot be caught: nothing of this process runs after it, as in a real crash
        # (the kernel's OOM killer, a host that loses power, kill -9).
        os.kill(os.getpid(), signal.SIGKILL)
        raise OperationFailed("this control plane survived its SIGKILL")  # unreachable

    def started_at(self) -> datetime:
        """See ``CrashDrillControl.started_at``."""
        return self.process.started_at

    def watch(self, drill: str) -> dict[str, Any] | None:
        """See ``CrashDrillControl.watch``."""
        return crash_watchdog.read_watch(self._folder(drill))

    def stop_watchdog(self, drill: str) -> dict[str, Any] | None:
        """See ``CrashDrillControl.stop_watchdog``."""
        folder = self._folder(drill)
        if not folder.is_dir():
            return None
        crash_watchdog.request_stop(folder)
        deadline = time.monotonic() + _STOP_WAIT_S
        seen = crash_watchdog.read_watch(folder)
        # Its final counts are written before its interpreter exits: the report waits for the exit
        # too, so a drill that says it ended leaves no watchdog running (a loaded machine once
        # took longer than the drill's next read).
        while seen is not None and time.monotonic() < deadline:
            if seen.get("final") and not pid_alive(seen.get("pid")):
                break
            time.sleep(0.05)
            seen = crash_watchdog.read_watch(folder)
        return seen

    def desired_count(self, service: str) -> int:
        """See ``CrashDrillControl.desired_count``."""
        return next(s.desired for s in self.runtime.services_status().services if s.name == service)

    def live_versions(self, service: str) -> list[str]:
        """See ``CrashDrillControl.live_versions``."""
        return sorted(i.version for i in self.runtime.provider.instances(service) if i.state in _LIVE)
