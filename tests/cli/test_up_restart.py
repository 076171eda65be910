"""``fleetops up`` after the control plane crashed: every environment it ran comes back with the
processes still running (adopted, serving throughout), and one that cannot start again does not
keep the others down."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml

from fleetops.processes import pid_alive
from fleetops.providers.local.process import free_loopback_port
from fleetops.server.settings import pid_dirs, read_server_file
from fleetops.testing.fleet_files import fleet_document
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


def _kill_server(folder: Path) -> None:
    info = read_server_file(folder / ".fleetops")
    assert info is not None
    os.kill(int(info["pid"]), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_alive(int(info["pid"])):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _pids(folder: Path) -> dict[str, int]:
    return {
        p.stem: int(p.read_text().split()[0]) for d in pid_dirs(folder / ".fleetops") for p in d.glob("*.pid")
    }


def _steady(url: str, outcomes: Counter[str], stop: threading.Event) -> None:
    # One connection, never retried: every failure counts.
    with httpx.Client(timeout=10, transport=httpx.HTTPTransport(retries=0)) as client:
        while not stop.is_set():
            try:
                outcomes[str(client.get(url).status_code)] += 1
            except httpx.HTTPError as err:
                outcomes[type(err).__name__] += 1
            stop.wait(0.01)


def test_up_after_a_sigkill_adopts_the_running_fleet_and_no_request_fails(tmp_path: Path) -> None:
    port = free_loopback_port()
    document = fleet_document({"menu": {"instances": {"min": 1, "desired": 2, "max": 3}}})
    document["services"]["menu"]["run"]["port"] = port
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    outcomes: Counter[str] = Counter()
    stop = threading.Event()
    load = threading.Thread(target=_steady, args=(f"http://127.0.0.1:{port}/health", outcomes, stop))
    try:
        assert run_cli(["up"], cwd=tmp_path, timeout=90).returncode == 0
        before = _pids(tmp_path)
        load.start()
        _kill_server(tmp_path)
        again = run_cli(["up", "--timeout", "60"], cwd=tmp_path, timeout=120)
        served = sum(outcomes.values())
        wait_until(lambda: sum(outcomes.values()) > served + 50, what="50 requests after `up`")
        after = _pids(tmp_path)
    finally:
        stop.set()
        if load.is_alive():
            load.join()
        run_cli(["down"], cwd=tmp_path, timeout=60)
    assert again.returncode == 0, again.stderr
    assert set(outcomes) == {"200"}, outcomes
    assert len(before) == 3  # HAProxy and two menu instances
    assert after == before


def test_an_environment_that_cannot_start_again_is_reported_and_the_others_start(tmp_path: Path) -> None:
    document = fleet_document({"menu": {}})
    document["environments"]["stage"] = {"provider": "local"}
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(yaml.safe_dump(document, sort_keys=False))
    try:
        assert run_cli(["up"], cwd=tmp_path, timeout=90).returncode == 0
        assert run_cli(["up", "--env", "stage"], cwd=tmp_path, timeout=90).returncode == 0
        _kill_server(tmp_path)
        # Meanwhile stage's menu was pinned to a port another process holds: stage cannot start.
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            document["services"]["menu"]["overrides"] = {"stage": {"run": {"port": port}}}
            fleet_file.write_text(yaml.safe_dump(document, sort_keys=False))
            again = run_cli(["up", "--timeout", "30"], cwd=tmp_path, timeout=180)
            environments = run_cli(["environments", "-o", "json"], cwd=tmp_path)
    finally:
        run_cli(["down"], cwd=tmp_path, timeout=60)
    assert again.returncode == 1
    assert again.stderr.startswith(
        "error: environment stage ran before the control plane stopped and did not start again: "
    ), again.stderr
    assert f"127.0.0.1:{port}" in again.stderr
    assert again.stderr.rstrip().endswith("(once fixed: fleetops up --env stage)")
    shown = yaml.safe_load(environments.stdout)["environments"]
    assert [e["name"] for e in shown if e["running"]] == ["dev"]
