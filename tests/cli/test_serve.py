"""``fleetops server``: announces itself in server.json, serves the API, cleans up on exit."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import httpx

from fleetops import __version__
from fleetops.testing.server import run_cli, running_server


def test_server_announces_itself_serves_and_cleans_up(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        info = json.loads((server.state_dir / "server.json").read_text())
        assert (info["url"], info["pid"], info["store"]) == (server.url, server.process.pid, "sqlite")
        assert info["url"].startswith("http://127.0.0.1:")
        health = httpx.get(server.url + "/api/v1/health").json()
        assert health == {"status": "ok", "version": __version__, "store": "sqlite"}
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0
    assert not (server.state_dir / "server.json").exists()


def test_second_server_on_the_same_state_dir_is_refused(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        second = run_cli(["server", "--port", "0"], cwd=tmp_path)
        assert second.returncode == 3
        assert (
            f"a fleetops server is already running for .fleetops (pid {server.process.pid}, {server.url})"
            in (second.stderr)
        )


def test_port_in_use_is_reported(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(["server", "--port", str(port)], cwd=tmp_path)
    assert result.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


def test_host_and_port_come_from_the_environment(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            ["server"], cwd=tmp_path, env={"FLEETOPS_HOST": "127.0.0.1", "FLEETOPS_PORT": str(port)}
        )
    assert result.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


def test_handlers_that_cannot_be_loaded_are_bad_input(tmp_path: Path) -> None:
    result = run_cli(["server", "--port", "0", "--handlers", "no_such_module:register"], cwd=tmp_path)
    assert result.returncode == 2
    assert "error: handlers 'no_such_module:register': cannot import 'no_such_module'" in result.stderr
