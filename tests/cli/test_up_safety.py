"""``fleetops up`` leaves nothing behind when it fails, refuses a port in use, and says when the
fleet already runs at another version."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import yaml

from fleetops.processes import pid_alive
from fleetops.server.settings import pid_dirs, read_server_file
from fleetops.testing.fleet_files import fleet_document, write_fleet
from fleetops.testing.server import run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


def _pids(folder: Path) -> list[int]:
    return [int(p.read_text().split()[0]) for d in pid_dirs(folder / ".fleetops") for p in d.glob("*.pid")]


def test_a_failed_up_stops_the_control_plane_and_the_processes_it_started(tmp_path: Path) -> None:
    write_fleet(tmp_path, {"menu": {}, "notifications": {"env": {"FAULT_FAIL_HEALTH_AFTER": "0s"}}})
    try:
        up = run_cli(["up", "--timeout", "4"], cwd=tmp_path, timeout=90)
        server = read_server_file(tmp_path / ".fleetops")
        left = [pid for pid in _pids(tmp_path) if pid_alive(pid)]
    finally:
        run_cli(["down"], cwd=tmp_path, timeout=60)
    assert up.returncode == 1
    assert "notifications: 0/1 healthy at v1" in up.stderr
    assert (
        "stopped the control plane and every process this `up` started; "
        f"its logs are in {tmp_path / '.fleetops'}" in up.stderr
    )
    assert (server, left) == (None, [])


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
