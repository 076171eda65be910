"""Deployments on real processes: a SIGKILLed control plane resumes its deployment on restart,
and a health failure in a later wave rolls back the earlier waves.

Both run ``fleetops up`` (a real server, HAProxy and service processes) on a small fleet of
the example services with fast health checks, and start the deploy runbook through the API.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from fleetops.cli.client import ApiClient
from fleetops.cli.up import client_for, state_dir_of
from fleetops.providers.local.process import process_alive
from fleetops.server.settings import pid_dirs, read_server_file
from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.server import run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
# auth and menu in wave 0, payments (depends on auth) in wave 1. Two instances of auth, rolled
# one at a time with a bake, so its rollout lasts long enough to be killed in the middle of.
SLOW_ROLL = {"bake_time": "1s", "max_healthy_percent": 150}


@contextmanager
def fleet_up(folder: Path) -> Iterator[ApiClient]:
    """``fleetops up`` in ``folder``; an API client of its server; ``fleetops down`` after."""
    try:
        up = run_cli(["up", "-o", "json", "--timeout", "60"], cwd=folder, timeout=90)
        assert up.returncode == 0, up.stderr
        with _client(folder) as api:
            yield api
    finally:
        down = run_cli(["down"], cwd=folder, timeout=90)
        assert down.returncode == 0, down.stderr


def _client(folder: Path) -> ApiClient:
    state_dir = state_dir_of(folder / "fleet.yaml")
    info = read_server_file(state_dir)
    assert info is not None
    return client_for(state_dir, info)


def _pids(folder: Path) -> set[int]:
    return {int(p.read_text().split()[0]) for d in pid_dirs(folder / ".fleetops") for p in d.glob("*.pid")}


def _wait_for(api: ApiClient, execution: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        progress: dict[str, Any] = api.get(f"/deployments/{execution}")
        if progress["status"] in TERMINAL or time.monotonic() > deadline:
            return progress
        time.sleep(0.2)


def _instances(api: ApiClient) -> dict[str, list[tuple[str, str]]]:
    """service -> (version, health) of its live instances."""
    status = api.get("/fleet")
    return {
        s["name"]: sorted((i["version"], i["health"]) for i in s["instances"] if i["state"] == "InService")
        for s in status["services"]
    }


def _ids(api: ApiClient, service: str, version: str) -> set[str]:
    """Ids of ``service``'s instances in service at ``version``."""
    found = next(s for s in api.get("/fleet")["services"] if s["name"] == service)
    return {i["id"] for i in found["instances"] if i["state"] == "InService" and i["version"] == version}


def _releases(api: ApiClient, execution: str) -> list[tuple[str, str, str]]:
    found = api.get("/releases", execution_id=execution)["releases"]
    return sorted((r["service"], r["version"], r["status"]) for r in found)


def test_a_deployment_killed_with_the_control_plane_resumes_on_restart_and_ends_on_one_release(
    tmp_path: Path,
) -> None:
    write_fleet(
        tmp_path,
        {
            "auth": {"instances": {"min": 1, "desired": 2, "max": 3}, "deploy": SLOW_ROLL},
            "menu": {},
            "payments": {"depends_on": ["auth"]},
        },
    )
    before_kill: set[int] = set()
    with fleet_up(tmp_path) as api:
        server_pid = int((read_server_file(tmp_path / ".fleetops") or {})["pid"])
        execution = api.post("/deployments", {"environment": "dev", "version": "v2"})["execution"]
        deadline = time.monotonic() + 30
        while True:  # until auth's rollout has replaced some of its instances, not all
            progress = api.get(f"/deployments/{execution}")
            auth = next((s for s in progress["services"] if s["service"] == "auth"), None)
            rollout = (auth or {}).get("rollout") or {}
            if rollout.get("status") in {"InProgress", "Baking"} and "v2" in {
                v for v, _ in _instances(api)["auth"]
            }:
                break
            assert progress["status"] == "RUNNING" and time.monotonic() < deadline, progress
            time.sleep(0.05)
        before_kill = _pids(tmp_path)
        replaced = _ids(api, "auth", "v2")
        assert replaced
        os.kill(server_pid, signal.SIGKILL)
        while process_alive(server_pid):
            time.sleep(0.05)
        # The instances outlived their server: a mix of v1 and v2 until the restart sorts it out.
        assert {pid for pid in before_kill if process_alive(pid)} == before_kill

        restarted = run_cli(["up", "-o", "json", "--timeout", "60"], cwd=tmp_path, timeout=90)
        assert restarted.returncode == 0, restarted.stderr
        assert json.loads(restarted.stdout)["server"]["pid"] != server_pid
        with _client(tmp_path) as again:
            ended = _wait_for(again, execution, timeout=60)
            assert (ended["status"], ended["error"]) == ("SUCCEEDED", None)
            assert _instances(again) == {
                "auth": [("v2", "healthy"), ("v2", "healthy")],
                "menu": [("v2", "healthy")],
                "payments": [("v2", "healthy")],
            }
            assert _releases(again, execution) == [
                ("auth", "v2", "verified"),
                ("menu", "v2", "verified"),
                ("payments", "v2", "verified"),
            ]
            # The rollout went on from the instances it had already replaced (adopted, kept).
            assert replaced <= _ids(again, "auth", "v2"), replaced
            after_restart = _pids(tmp_path)
    # The processes the killed run left were adopted, and stopped by `down` with the rest.
    assert [pid for pid in before_kill | after_restart if process_alive(pid)] == []
    assert _pids(tmp_path) == set()


def test_a_health_failure_in_a_later_wave_rolls_back_the_earlier_waves(tmp_path: Path) -> None:
    # payments (wave 1) v2 turns unhealthy 2 s after it starts, during its bake.
    bad_v2 = {"v2": {"env": {"FAULT_FAIL_HEALTH_AFTER": "2s"}}}
    write_fleet(
        tmp_path,
        {
            "auth": {},
            "menu": {},
            "payments": {"depends_on": ["auth"], "versions": bad_v2, "deploy": {"bake_time": "5s"}},
        },
    )
    with fleet_up(tmp_path) as api:
        # The first deployment: `up` recorded v1 as each service's verified release to go back to.
        assert _releases(api, "up") == [
            ("auth", "v1", "verified"),
            ("menu", "v1", "verified"),
            ("payments", "v1", "verified"),
        ]
        execution = api.post("/deployments", {"environment": "dev", "version": "v2"})["execution"]
        ended = _wait_for(api, execution, timeout=60)
        assert ended["status"] == "FAILED", ended
        assert "payments" in (ended["cause"] or ""), ended
        assert sorted((s["service"], s["wave"], s["status"]) for s in ended["services"])[:2] == [
            ("auth", 1, "Successful"),
            ("menu", 1, "Successful"),
        ]
        deadline = time.monotonic() + 30
        while _instances(api) != {
            "auth": [("v1", "healthy")],
            "menu": [("v1", "healthy")],
            "payments": [("v1", "healthy")],
        }:
            assert time.monotonic() < deadline, _instances(api)
            time.sleep(0.2)
        assert {s["name"]: s["version"] for s in api.get("/fleet")["services"]} == {
            "auth": "v1",
            "menu": "v1",
            "payments": "v1",
        }
        releases = _releases(api, execution)
        assert releases == [
            ("auth", "v2", "rolled_back"),
            ("menu", "v2", "rolled_back"),
            ("payments", "v2", "failed"),
        ]
