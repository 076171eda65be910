"""CPU of starting fleetops processes: what every CLI call, control-plane start and test pays.

    .venv/bin/python bench/start_cpu.py [--repeats 5]

Each figure is the median CPU (user + system, of the process and what it waited for) over the
repeats, against the baseline of the same run: the interpreter starting and doing nothing
(``python -c pass``). Measured: importing the control plane (``import fleetops.server.app``); a
bare control plane (``fleetops server --port 0`` in a new state folder, stopped with SIGTERM
once ``server.json`` says it listens); ``fleetops --help``; ``fleetops deploy --help``;
``fleetops status`` with no server (the CLI's floor: parse, look for the server, report);
``fleetops executions list`` against a running bare control plane (a typical call: parse, one
request, a table); ``fleetops validate`` of the example's fleet file; a control plane's start
alone, from exec to ``server.json`` written (its own CPU then, read from ``/proc``; stopped
after), bare and with a copy of the example's fleet file (``--fleet``: the file loaded and its
environment opened, not yet started); and, as root (it counts
the processes ``up`` detaches in a cgroup v1 cpuacct group, as ``/work/wt/MEASURE.md`` does),
``fleetops up`` then ``fleetops down`` of a copy of the example (the control plane, HAProxy,
the datastores, every instance), and of that the ``fleetops up`` process's own CPU (parse, load
the fleet file, start the control plane, poll it until the fleet is ready, print), which the
detached control plane is not part of. Run ``make bytecode`` first: with PYTHONDONTWRITEBYTECODE set,
the source is compiled again by every process otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from fleetops.testing.example import copy_example_on_a_free_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_of(run: Callable[[Path], None], repeats: int) -> float:
    """Median CPU seconds of ``run`` (in a new empty folder each time)."""
    spent = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            before = children_cpu()
            run(Path(folder))
            spent.append(children_cpu() - before)
    return statistics.median(spent)


def command(*args: str, env: dict[str, str] | None = None) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        subprocess.run(args, cwd=folder, env=env, capture_output=True, check=False)

    return run


def _start_server(folder: Path, *fleet: str, poll: float) -> subprocess.Popen[bytes]:
    """A control plane started in ``folder`` (state in ``folder/state``), once it has written its
    ``server.json`` (looked for every ``poll`` seconds, up to a minute) or has exited."""
    state = folder / "state"
    server = subprocess.Popen(
        [PYTHON, "-m", "fleetops", "server", "--port", "0", "--state-dir", str(state), *fleet],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (state / "server.json").exists() and server.poll() is None and time.monotonic() < deadline:
        time.sleep(poll)
    return server


@contextlib.contextmanager
def running_server(folder: Path) -> Iterator[dict[str, str]]:
    """A bare control plane in ``folder`` until the block ends; the environment of its CLI."""
    state = folder / "state"
    server = _start_server(folder, poll=0.02)
    try:
        time.sleep(0.2)  # server.json is written, the token next to it
        url = json.loads((state / "server.json").read_text())["url"]
        yield {**os.environ, "FLEETOPS_URL": url, "FLEETOPS_TOKEN": (state / "token").read_text().strip()}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def bare_server(folder: Path) -> None:
    with running_server(folder):
        pass


def cpu_until_listening(folder: Path, *fleet: str) -> float:
    """CPU seconds of a control plane in ``folder`` (``fleet``: more arguments) from its exec to
    ``server.json`` written, which it writes once its app is built and its port bound."""
    state = folder / "state"
    server = _start_server(folder, *fleet, poll=0.005)
    deadline = time.monotonic() + 60
    try:
        # utime and stime, the 14th and 15th fields (after the command name in parentheses)
        fields = Path(f"/proc/{server.pid}/stat").read_text().rpartition(")")[2].split()
        spent = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        # Stopped once it serves: a SIGTERM while its fleet's environment starts once left a
        # control plane that never exited.
        url = json.loads((state / "server.json").read_text())["url"]
        while server.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/api/v1/health", timeout=5).close()
                break
            time.sleep(0.05)
        return spent
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def start_cpu(repeats: int, *, example: bool) -> float:
    """Median of ``cpu_until_listening``: bare, or with a copy of the example's fleet file."""
    spent = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as parent:
            if example:
                folder = copy_example_on_a_free_port(Path(parent) / "restaurant")
                spent.append(cpu_until_listening(folder, "--fleet", "fleet.yaml"))
            else:
                spent.append(cpu_until_listening(Path(parent)))
    return statistics.median(spent)


def in_cgroup(folder: Path, *commands: list[str]) -> tuple[float, list[float]]:
    """CPU seconds of ``commands`` (run in ``folder``, one after the other) and of every process
    they start, detached or not; and each command's own (with what it waited for, not what it
    left running)."""
    group = CPUACCT / f"start-cpu-{os.getpid()}"
    group.mkdir()
    own = []
    try:
        for args in commands:
            before = children_cpu()
            subprocess.run(
                ["bash", "-c", f'echo $$ > {group}/cgroup.procs; exec "$@"', "-", *args],
                cwd=folder,
                capture_output=True,
                check=False,
            )
            own.append(children_cpu() - before)
        return int((group / "cpuacct.usage").read_text()) / 1e9, own
    finally:
        for pid in (group / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while (group / "cgroup.procs").read_text().strip() and time.monotonic() < deadline:
            time.sleep(0.05)
        group.rmdir()


def up_and_down(repeats: int) -> tuple[float, float] | None:
    """Median CPU of ``fleetops up`` + ``fleetops down`` of a copy of the example (gateway on a
    free port), and of the ``up`` process alone; None when cgroups cannot be made here."""
    if os.geteuid() != 0 or not CPUACCT.is_dir():
        return None
    spent = []
    up_own = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as parent:
            folder = copy_example_on_a_free_port(Path(parent) / "restaurant")
            fleetops = [PYTHON, "-m", "fleetops"]
            both, own = in_cgroup(folder, [*fleetops, "up"], [*fleetops, "down"])
            spent.append(both)
            up_own.append(own[0])
    return statistics.median(spent), statistics.median(up_own)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--up-repeats", type=int, default=3)
    arguments = parser.parse_args()
    repeats = arguments.repeats
    fleet = ROOT / "examples" / "restaurant" / "fleet.yaml"
    base = cpu_of(command(PYTHON, "-c", "pass"), repeats)
    print(f"baseline: python -c pass {base * 1000:.0f} ms of CPU (median of {repeats})")
    for name, run in (
        ("import fleetops.server.app", command(PYTHON, "-c", "import fleetops.server.app")),
        ("fleetops server, start and stop", bare_server),
        ("fleetops --help", command(PYTHON, "-m", "fleetops", "--help")),
        ("fleetops deploy --help", command(PYTHON, "-m", "fleetops", "deploy", "--help")),
        ("fleetops status (no server)", command(PYTHON, "-m", "fleetops", "status")),
        ("fleetops validate (example)", command(PYTHON, "-m", "fleetops", "validate", "--file", str(fleet))),
    ):
        spent = cpu_of(run, repeats)
        print(f"{name}: {spent * 1000:.0f} ms of CPU, {spent / base:.1f}x the baseline")
    for name, example in (
        ("fleetops server, exec to server.json (bare)", False),
        ("fleetops server, exec to server.json (the example's fleet)", True),
    ):
        spent = start_cpu(repeats, example=example)
        print(f"{name}: {spent * 1000:.0f} ms of CPU, {spent / base:.1f}x the baseline")
    with tempfile.TemporaryDirectory() as folder, running_server(Path(folder)) as env:
        spent = cpu_of(command(PYTHON, "-m", "fleetops", "executions", "list", env=env), repeats)
        name = "fleetops executions list (a running server)"
        print(f"{name}: {spent * 1000:.0f} ms of CPU, {spent / base:.1f}x the baseline")
    both = up_and_down(arguments.up_repeats)
    if both is None:
        print("fleetops up + down (example): not measured (needs root for a cpuacct cgroup)")
    else:
        name = f"fleetops up + down (example, cgroup, median of {arguments.up_repeats})"
        print(f"{name}: {both[0]:.2f} s of CPU, of which the up process's own {both[1]:.2f} s")


if __name__ == "__main__":
    main()
