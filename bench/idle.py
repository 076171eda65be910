"""What an idle example fleet costs: CPU cores per component while nothing happens.

    .venv/bin/python bench/idle.py [--seconds 60] [--settle 20] [--py-spy]

A copy of examples/restaurant (its gateway on a free port, its notifications delivered to local
sinks) is brought up with `fleetops up` in a temp dir (state in its `.fleetops/`), left to settle,
then the CPU time (utime + stime from /proc/<pid>/stat) of every process of the fleet is read
before and after a window of ``--seconds``: the control plane (with the children it reaped in
the window), HAProxy, each instance, and each datastore server (Redis; PostgreSQL: all of a
cluster's processes together, with the backends its postmaster reaped). Prints cores used per
component (CPU seconds / wall seconds) and the total, then `fleetops down`.

Baseline, measured in the same window: a bare uvicorn + Starlette app answering one GET /health
per second (what the fleet file's health check asks of each instance, with nothing else): the
floor an idle instance can reach. With ``--py-spy`` (py-spy installed in the venv), the control
plane is also sampled over the window and its busiest threads are printed.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from fleetops.providers.local.process import free_loopback_port
from fleetops.testing.example import copy_example, notification_sinks
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

TICKS = os.sysconf("SC_CLK_TCK")
BARE_APP = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
async def health(request):
    return JSONResponse({"status": "ok"})
uvicorn.run(Starlette(routes=[Route("/health", health)]), host="127.0.0.1", port=int(sys.argv[1]),
            log_config=None, access_log=False)
"""


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """utime + stime of ``pid`` (and, ``reaped``, of the children it waited for), in seconds."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def _command(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def fleet_processes(server: int, folder: Path) -> tuple[list[int], list[int]]:
    """The control plane and every process below it, and the servers that detached from it
    (PostgreSQL's postmaster, started by pg_ctl, names its data folder under ``folder``) with
    theirs; and those roots (whose reaped children count too: PostgreSQL's backends of short
    connections)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    roots = [server]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                children[int(_stat(int(entry))[1])].append(int(entry))
                if int(entry) != server and str(folder) in _command(int(entry)):
                    roots.append(int(entry))
            except (OSError, IndexError):
                continue
    found, index = list(dict.fromkeys(roots)), 0
    while index < len(found):
        found += [child for child in children.get(found[index], []) if child not in found]
        index += 1
    return found, list(dict.fromkeys(roots))


def component(pid: int, server: int) -> str:
    """The name a process is reported under."""
    if pid == server:
        return "control plane"
    command = _command(pid)
    words = command.split()
    if "haproxy" in Path(words[0]).name:
        return "haproxy"
    if "redis" in command:
        return "redis"
    if "postgres" in command or "postmaster" in command:
        return "postgresql"
    service = re.search(r"services/(\w+)\.py", command)
    if service:
        return f"instance {service.group(1)} {pid}"
    return f"other {Path(words[0]).name} {pid}"


@contextmanager
def bare_app() -> Iterator[int]:
    """The baseline app on a free port, asked GET /health once a second; yields its pid."""
    port = free_loopback_port()
    process = subprocess.Popen([sys.executable, "-c", BARE_APP, str(port)])
    stop = threading.Event()

    def ask() -> None:
        with httpx.Client(timeout=2) as client:
            while not stop.wait(1.0):
                with suppress(httpx.HTTPError):
                    client.get(f"http://127.0.0.1:{port}/health")

    try:
        wait_until(lambda: _answers(port), timeout=30, what="the bare app answering")
        asker = threading.Thread(target=ask, daemon=True)
        asker.start()
        yield process.pid
    finally:
        stop.set()
        process.terminate()
        process.wait(10)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def measure(server: int, folder: Path, baseline: int, seconds: float) -> tuple[dict[str, float], float]:
    """Cores per component over ``seconds`` (processes that end in the window are left out)."""
    pids, roots = fleet_processes(server, folder)
    names = {pid: component(pid, server) for pid in pids}
    before = {pid: cpu_seconds(pid, reaped=pid in roots) for pid in pids}
    base_before = cpu_seconds(baseline)
    start = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - start
    cores: dict[str, float] = collections.defaultdict(float)
    for pid in pids:
        try:
            cores[names[pid]] += (cpu_seconds(pid, reaped=pid in roots) - before[pid]) / wall
        except OSError:
            continue
    return dict(cores), (cpu_seconds(baseline) - base_before) / wall


def py_spy(server: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    tool = Path(sys.executable).with_name("py-spy")
    if not tool.exists():
        print("py-spy is not in the venv: no profile")
        return None
    command = [str(tool), "record", "-p", str(server), "-d", str(int(seconds)), "-r", "100", "--threads"]
    return subprocess.Popen([*command, "-f", "raw", "-o", str(out)], stdout=subprocess.DEVNULL)


def busiest_threads(raw: Path) -> list[tuple[int, str]]:
    """py-spy's raw samples of the control plane, not waiting, by thread."""
    waiting = ("Condition.wait", "_worker (concurrent", "EpollSelector.select (selectors.py:468)")
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        frames = stack.split(";")
        if frames[-1].startswith(waiting):
            continue
        thread = re.sub(r"-\d+-", "-N-", re.sub(r"thread \(\d+\): ", "", frames[0]))
        counts[thread] += int(count)
    return [(count, thread) for thread, count in counts.most_common(12)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the measured window")
    parser.add_argument("--settle", type=float, default=20.0, help="wait after `up` before measuring")
    parser.add_argument("--py-spy", action="store_true", help="also profile the control plane")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fleetops-idle-"))
    try:
        with notification_sinks() as sinks:
            folder = copy_example(workdir / "restaurant", sinks)
            fleet_file = folder / "fleet.yaml"
            fleet_file.write_text(fleet_file.read_text().replace("      port: 8080\n", ""))
            up = run_cli(["up", "-o", "json"], cwd=folder, timeout=300)
            if up.returncode != 0:
                raise SystemExit(f"fleetops up failed:\n{up.stderr}")
            try:
                server = int(json.loads(up.stdout)["server"]["pid"])
                with bare_app() as baseline:
                    time.sleep(args.settle)
                    spy = py_spy(server, args.seconds, workdir / "profile.txt") if args.py_spy else None
                    cores, floor = measure(server, folder, baseline, args.seconds)
                    if spy is not None:
                        try:
                            spy.wait(args.seconds + 120)  # py-spy writes its samples after the window
                        except subprocess.TimeoutExpired:
                            spy.kill()
                            spy.wait()
            finally:
                run_cli(["down"], cwd=folder, timeout=120)
        instances = {k: v for k, v in cores.items() if k.startswith("instance")}
        print(f"idle example fleet, {args.seconds:.0f} s window after {args.settle:.0f} s settling")
        for name in sorted(cores, key=lambda k: (k.startswith("instance"), k)):
            print(f"  {name:32} {cores[name]:.4f} cores")
        if instances:
            print(f"  {'instances (' + str(len(instances)) + ')':32} {sum(instances.values()):.4f} cores")
        print(f"  {'total':32} {sum(cores.values()):.4f} cores")
        if instances:
            mean = sum(instances.values()) / len(instances)
            ratio = mean / floor
            print(f"baseline (bare uvicorn, 1 health check/s): {floor:.4f} cores; mean instance {ratio:.2f}x")
        if args.py_spy and (workdir / "profile.txt").exists():
            print("control plane, py-spy samples not waiting, by thread (100 Hz):")
            for count, thread in busiest_threads(workdir / "profile.txt"):
                print(f"  {count:6} {thread}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
