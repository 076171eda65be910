"""``fleetops up`` leaves nothing behind when it fails and names the service that did not come
up, refuses a port in use, and says when the fleet already runs at another version."""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetops.processes import pid_alive
from fleetops.server.settings import pid_dirs, read_server_file
from fleetops.testing.fleet_files import fleet_document, write_fleet
from fleetops.testing.server import run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


def _pids(folder: Path) -> list[int]:
    return [int(p.read_text().split()[0]) for d in pid_dirs(folder / ".fleetops") for p in d.glob("*.pid")]


@dataclass(frozen=True)
class FailedUp:
    """A ``fleetops up`` that failed, and what it left right after it exited."""

    folder: Path
    up: subprocess.CompletedProcess[str]
    server: dict[str, Any] | None
    """The control plane's server file."""
    left: list[int]
    """The fleet's processes still alive."""


@pytest.fixture(scope="module")
def failed_up(tmp_path_factory: pytest.TempPathFactory) -> FailedUp:
    """``fleetops up`` of menu and notifications, notifications failing its health checks from the
    start (menu is fine), once for the tests that read what it said and left."""
    folder = tmp_path_factory.mktemp("failed-up")
    write_fleet(folder, {"menu": {}, "notifications": {"env": {"FAULT_FAIL_HEALTH_AFTER": "0s"}}})
    try:
        up = run_cli(["up", "--timeout", "4"], cwd=folder, timeout=90)
        server = read_server_file(folder / ".fleetops")
        left = [pid for pid in _pids(folder) if pid_alive(pid)]
    finally:
        run_cli(["down"], cwd=folder, timeout=60)
    return FailedUp(folder, up, server, left)


def test_a_failed_up_stops_the_control_plane_and_the_processes_it_started(failed_up: FailedUp) -> None:
    up = failed_up.up
    assert up.returncode == 1
    assert "notifications: 0/1 healthy at v1" in up.stderr
    assert (
        "stopped the control plane and every process this `up` started; "
        f"its logs are in {failed_up.folder / '.fleetops'}" in up.stderr
    )
    assert (failed_up.server, failed_up.left) == (None, [])


def test_a_failed_up_names_the_service_that_does_not_come_up(failed_up: FailedUp) -> None:
    up = failed_up.up
    assert up.returncode == 1
    assert "not every service came up within 4s:" in up.stderr
    assert "notifications: 0/1 healthy at v1" in up.stderr and "menu:" not in up.stderr
    assert "DOWN: last check L7STS 503" in up.stderr
    assert "last log lines:" in up.stderr


def test_a_pinned_port_another_process_holds_is_refused_naming_it(tmp_path: Path) -> None:
    # Another fleet's HAProxy binds with SO_REUSEPORT: Linux would let a second one share the port.
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        write_fleet(tmp_path, {"menu": {"run": {"port": port}}})
        try:
            up = run_cli(["up", "--timeout", "20"], cwd=tmp_path, timeout=90)
        finally:
            run_cli(["down"], cwd=tmp_path, timeout=60)
    assert up.returncode == 1
    first = up.stderr.splitlines()[0]
    assert first.startswith(
        "error: the control plane stopped: haproxy did not start (exit status 1); menu: cannot bind "
        f"127.0.0.1:{port} (Address already in use: held by pid {os.getpid()} ("
    ), up.stderr
    assert "Traceback" not in up.stderr
    assert read_server_file(tmp_path / ".fleetops") is None


def test_up_on_a_running_fleet_at_another_version_says_how_to_change_it(tmp_path: Path) -> None:
    document = fleet_document({"menu": {}})
    # stage's menu never becomes healthy: adding stage fails.
    document["environments"]["stage"] = {"provider": "local"}
    document["services"]["menu"]["overrides"] = {"stage": {"env": {"FAULT_FAIL_HEALTH_AFTER": "0s"}}}
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    try:
        up = run_cli(["up"], cwd=tmp_path, timeout=90)
        assert up.returncode == 0, up.stderr
        again = run_cli(["up", "--version", "v9"], cwd=tmp_path)
        same = run_cli(["up", "--version", "v1"], cwd=tmp_path)
        stage = run_cli(["up", "--env", "stage", "--timeout", "4"], cwd=tmp_path, timeout=90)
        environments = run_cli(["environments", "-o", "json"], cwd=tmp_path)
    finally:
        run_cli(["down"], cwd=tmp_path, timeout=60)
    assert (again.returncode, again.stderr) == (
        3,
        "error: dev already runs (menu v1): `up --version` only sets the version a fleet starts at; "
        "`fleetops deploy dev --version v9 --wait` changes it\n",
    )
    assert same.returncode == 0, same.stderr
    assert stage.returncode == 1
    assert "stopped stage again; the environments running before keep running" in stage.stderr
    assert [e["name"] for e in yaml.safe_load(environments.stdout)["environments"] if e["running"]] == ["dev"]
