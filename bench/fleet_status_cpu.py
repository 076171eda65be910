"""CPU of one ``GET /fleet`` of the running example: what ``fleetops up`` (every 0.25 s while an
environment comes up), ``fleetops status`` and the dashboard pay the control plane for it.

    sudo .venv/bin/python bench/fleet_status_cpu.py [--requests 60]

As root (a cgroup v1 cpuacct group, as ``/work/wt/MEASURE.md`` does): ``fleetops up`` of a copy
of the example (gateway on a free port) in the group, so the control plane, PostgreSQL, Redis,
HAProxy and the instances are counted; then, for ``GET /fleet``, ``GET /fleet?datastores=false``
and the baseline ``GET /releases``, the group's CPU over ``--requests`` sequential requests
minus its idle rate measured just before (the fleet's instances, samplers and health checks),
per request; then ``fleetops down``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from fleetops.testing.example import copy_example_on_a_free_port

CPUACCT = Path("/sys/fs/cgroup/cpuacct")
PATHS = ("/fleet", "/fleet?datastores=false", "/releases")
IDLE_S = 4.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    arguments = parser.parse_args()
    if os.geteuid() != 0 or not CPUACCT.is_dir():
        sys.exit("needs root and a cgroup v1 cpuacct hierarchy")
    group = CPUACCT / f"fleet-status-cpu-{os.getpid()}"
    group.mkdir()

    def usage() -> float:
        return int((group / "cpuacct.usage").read_text()) / 1e9

    with tempfile.TemporaryDirectory() as parent:
        folder = copy_example_on_a_free_port(Path(parent) / "restaurant")

        def fleetops(*args: str) -> subprocess.CompletedProcess[bytes]:
            command = ["bash", "-c", f'echo $$ > {group}/cgroup.procs; exec "$@"', "-"]
            return subprocess.run(
                [*command, sys.executable, "-m", "fleetops", *args],
                cwd=folder,
                capture_output=True,
                check=False,
            )

        try:
            up = fleetops("up")
            if up.returncode != 0:
                sys.exit(f"fleetops up failed: {up.stderr.decode(errors='replace')}")
            state = folder / ".fleetops"
            url = str(json.loads((state / "server.json").read_text())["url"]).rstrip("/") + "/api/v1"
            headers = {"Authorization": f"Bearer {(state / 'token').read_text().strip()}"}
            for path in PATHS:
                before, started = usage(), time.monotonic()
                time.sleep(IDLE_S)
                idle = (usage() - before) / (time.monotonic() - started)
                before, started = usage(), time.monotonic()
                for _ in range(arguments.requests):
                    with urllib.request.urlopen(
                        urllib.request.Request(url + path, headers=headers)
                    ) as answer:
                        answer.read()
                spent = usage() - before - idle * (time.monotonic() - started)
                print(
                    f"GET {path}: {spent / arguments.requests * 1000:.1f} ms of CPU per request", flush=True
                )
        finally:
            fleetops("down")
            for pid in (group / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            deadline = time.monotonic() + 10
            while (group / "cgroup.procs").read_text().strip() and time.monotonic() < deadline:
                time.sleep(0.05)
            group.rmdir()


if __name__ == "__main__":
    main()
