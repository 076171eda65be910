"""``fleetops up`` after the control plane crashed: every environment it ran comes back, and one
that cannot start again does not keep the others down."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
import yaml

from fleetops.processes import pid_alive
from fleetops.server.settings import read_server_file
from fleetops.testing.fleet_files import fleet_document
from fleetops.testing.server import run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


def _kill_server(folder: Path) -> None:
    info = read_server_file(folder / ".fleetops")
    assert info is not None
    os.kill(int(info["pid"]), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_alive(int(info["pid"])):
        assert time.monotonic() < deadline
        time.sleep(0.05)


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
