"""CPU of starting fleetops processes: what every CLI call, control-plane start and test pays.

    .venv/bin/python bench/start_cpu.py [--repeats 5]

Each figure is the median CPU (user + system, of the process and what it waited for) over the
repeats, against the baseline of the same run: the interpreter starting and doing nothing
(``python -c pass``). Measured: importing the control plane (``import fleetops.server.app``); a
bare control plane (``fleetops server --port 0`` in a new state folder, stopped with SIGTERM
once ``server.json`` says it listens); ``fleetops --help``; ``fleetops status`` with no server
(the CLI's floor: parse, look for the server, report); ``fleetops validate`` of the example's
fleet file. Run ``make bytecode`` first: with PYTHONDONTWRITEBYTECODE set, the source is
compiled again by every process otherwise.
"""

from __future__ import annotations

import argparse
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


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


def command(*args: str) -> Callable[[Path], None]:
    def run(folder: Path) -> None:
        subprocess.run(args, cwd=folder, capture_output=True, check=False)

    return run


def bare_server(folder: Path) -> None:
    state = folder / "state"
    server = subprocess.Popen(
        [PYTHON, "-m", "fleetops", "server", "--port", "0", "--state-dir", str(state)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (state / "server.json").exists() and server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    fleet = ROOT / "examples" / "restaurant" / "fleet.yaml"
    base = cpu_of(command(PYTHON, "-c", "pass"), repeats)
    print(f"baseline: python -c pass {base * 1000:.0f} ms of CPU (median of {repeats})")
    for name, run in (
        ("import fleetops.server.app", command(PYTHON, "-c", "import fleetops.server.app")),
        ("fleetops server, start and stop", bare_server),
        ("fleetops --help", command(PYTHON, "-m", "fleetops", "--help")),
        ("fleetops status (no server)", command(PYTHON, "-m", "fleetops", "status")),
        ("fleetops validate (example)", command(PYTHON, "-m", "fleetops", "validate", "--file", str(fleet))),
    ):
        spent = cpu_of(run, repeats)
        print(f"{name}: {spent * 1000:.0f} ms of CPU, {spent / base:.1f}x the baseline")


if __name__ == "__main__":
    main()
