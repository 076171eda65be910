"""A control-plane SIGKILL and `fleetops up` under steady load: failed requests.

A copy of the example restaurant fleet (its gateway pinned to a free port) is brought up with
`fleetops up`; one client that never retries requests the gateway's /health every 10 ms. Each
trial SIGKILLs the control plane, waits 1 s (the fleet serves alone), runs `fleetops up` again,
and keeps the load 2 s after it returned. Baseline, measured in the same run before the first
trial: the same client for the same length of time with nothing restarted (0 failed expected).

Prints per trial: requests, failed (by outcome), the window from the first to the last failure,
and how long `up` took; then the failure ratio against the baseline's. Target: 0 failed (an Auto
Scaling group keeps its instances while its API is down; a restarted control plane should adopt
the processes and HAProxy still running).

    .venv/bin/python bench/control_plane_restart.py [--trials 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx

from fleetops.processes import pid_alive
from fleetops.providers.local.process import free_loopback_port
from fleetops.server.settings import read_server_file
from fleetops.testing.local import EXAMPLES
from fleetops.testing.server import run_cli


@dataclass
class Load:
    """A steady client: one request every 10 ms, one connection, no retry."""

    url: str
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=5, transport=httpx.HTTPTransport(retries=0)) as client:
            while not self.stop.is_set():
                try:
                    outcome = str(client.get(self.url).status_code)
                except httpx.HTTPError as err:
                    outcome = type(err).__name__
                self.outcomes[outcome] += 1
                if outcome != "200":
                    self.failures.append(time.monotonic())
                self.stop.wait(0.01)

    def failed(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome != "200")


def _measure(url: str, work: Callable[[], None]) -> tuple[Load, float]:
    """The load's outcomes while ``work`` runs, and how long it ran."""
    load = Load(url)
    thread = threading.Thread(target=load.run)
    thread.start()
    started = time.monotonic()
    try:
        work()
    finally:
        load.stop.set()
        thread.join()
    return load, time.monotonic() - started


def _restart(folder: Path, took: list[float]) -> None:
    """SIGKILL the control plane, let the fleet serve alone 1 s, `up` again (its time in
    ``took``), keep the load 2 s more."""
    info = read_server_file(folder / ".fleetops")
    assert info is not None
    os.kill(int(info["pid"]), signal.SIGKILL)
    while pid_alive(int(info["pid"])):
        time.sleep(0.02)
    time.sleep(1.0)
    started = time.monotonic()
    up = run_cli(["up", "--timeout", "120"], cwd=folder, timeout=180)
    took.append(time.monotonic() - started)
    if up.returncode != 0:
        raise SystemExit(f"`fleetops up` after the kill failed:\n{up.stderr}")
    time.sleep(2.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "restaurant"
        shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns(".fleetops", "data", "__pycache__"))
        fleet_file = folder / "fleet.yaml"
        # The gateway keeps one pinned port across restarts, as 8080 in the example (a free one
        # here): the steady client's URL stays valid.
        port = free_loopback_port()
        fleet_file.write_text(fleet_file.read_text().replace("      port: 8080\n", f"      port: {port}\n"))
        up = run_cli(["up", "-o", "json", "--timeout", "120"], cwd=folder, timeout=180)
        if up.returncode != 0:
            raise SystemExit(f"`fleetops up` failed:\n{up.stderr}")
        try:
            gateway = next(s["endpoint"] for s in json.loads(up.stdout)["services"] if s["name"] == "gateway")
            url = gateway + "/health"
            baseline, base_seconds = _measure(url, lambda: time.sleep(8.0))
            print(
                f"baseline: {sum(baseline.outcomes.values())} requests in {base_seconds:.1f} s, "
                f"{baseline.failed()} failed"
            )
            total_failed = total_sent = 0
            for trial in range(1, args.trials + 1):
                took: list[float] = []
                load, _ = _measure(url, partial(_restart, folder, took))
                sent, failed = sum(load.outcomes.values()), load.failed()
                total_failed, total_sent = total_failed + failed, total_sent + sent
                window = load.failures[-1] - load.failures[0] if load.failures else 0.0
                kinds = (
                    ", ".join(f"{k} {n}" for k, n in sorted(load.outcomes.items()) if k != "200") or "none"
                )
                print(
                    f"trial {trial}: {sent} requests, {failed} failed ({kinds}) in a {window:.1f} s "
                    f"window; `up` took {took[0]:.1f} s"
                )
        finally:
            run_cli(["down"], cwd=folder, timeout=120)
    base_rate = baseline.failed() / max(1, sum(baseline.outcomes.values()))
    rate = total_failed / max(1, total_sent)
    print(
        f"failed across {args.trials} SIGKILL + up: {total_failed} of {total_sent} "
        f"({rate:.2%}; baseline {base_rate:.2%}; target 0)"
    )


if __name__ == "__main__":
    main()
