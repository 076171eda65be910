"""``fleetops drill control-plane-crash`` on a real control plane (``fleetops up``): a deployment
of v2 started by the drill, the server SIGKILLed in the middle of auth's rollout (two instances,
rolled one at a time with a bake), restarted by the drill's watchdog with ``fleetops up``; the
deployment resumes and ends with auth's desired count on v2, and the report's figures are those
the history and the processes show. One fleet for the module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetops.cli.client import ApiClient, locate_server
from fleetops.processes import pid_alive
from fleetops.server.settings import read_server_file
from fleetops.testing.fleet_files import fleet_document
from fleetops.testing.server import run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@dataclass
class Fleet:
    folder: Path

    def cli(self, *args: str, timeout: float = 240) -> tuple[int, str, str]:
        done = run_cli(list(args), cwd=self.folder, timeout=timeout)
        return done.returncode, done.stdout, done.stderr

    def server_pid(self) -> int:
        return int((read_server_file(self.folder / ".fleetops") or {})["pid"])

    def api(self) -> ApiClient:
        """A client of the server running now (a restarted one listens on another port)."""
        return ApiClient(locate_server(self.folder / ".fleetops"), timeout=60)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    folder = tmp_path_factory.mktemp("crash")
    slow_roll = {"bake_time": "1s", "max_healthy_percent": 150}
    document = fleet_document(
        {"auth": {"instances": {"min": 1, "desired": 2, "max": 3}, "deploy": slow_roll}}
    )
    document["drills"] = {"rto": "2m", "rpo": "1h"}
    (folder / "fleet.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    try:
        up = run_cli(["up", "-o", "json"], cwd=folder, timeout=120)
        assert up.returncode == 0, up.stderr
        yield Fleet(folder)
    finally:
        down = run_cli(["down"], cwd=folder, timeout=120)
        assert down.returncode == 0, down.stderr


def _at(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def test_a_dry_run_says_what_it_would_do_and_a_version_already_running_is_refused(fleet: Fleet) -> None:
    code, out, err = fleet.cli("drill", "control-plane-crash", "--version", "v2", "--dry-run")
    assert code == 0, err
    assert out.splitlines()[:4] == [
        "drill control-plane-crash in dev (dry run: nothing was changed); targets RTO 2m, RPO 1h",
        "  1. watchdog started: steady client on auth, `fleetops up` once the control plane is dead",
        "  2. deploy v2 to auth in dev",
        "  3. SIGKILL the control plane in the middle of a rollout (outage start)",
    ]
    code, _out, err = fleet.cli("drill", "control-plane-crash", "--version", "v1")
    assert code == 2
    assert "error: auth already run v1: a deployment of it would change nothing (name another version)" in err


def test_the_deployment_resumes_after_the_kill_and_ends_on_one_release(fleet: Fleet) -> None:
    killed = fleet.server_pid()
    code, out, err = fleet.cli("drill", "control-plane-crash", "--version", "v2", "--wait", "-o", "json")
    assert code == 0, out + err
    assert "the control plane does not answer (the drill killed it): waiting for it" in err
    report: dict[str, Any] = json.loads(out)
    assert (report["outcome"], report["killed_pid"], report["versions"]) == (
        "met",
        killed,
        {"auth": ["v2", "v2"]},
    )
    assert not pid_alive(killed)
    assert fleet.server_pid() != killed
    assert report["restart"]["up_exit_code"] == 0

    deployment = report["deployment"]
    assert (deployment["status"], deployment["interrupted_rollouts"]) == ("SUCCEEDED", ["auth"])
    outage, back = _at(report["outage_at"]), _at(report["control_plane_back_at"])
    resumed, ended = _at(deployment["resumed_at"]), _at(deployment["ended_at"])
    assert outage < back <= resumed <= ended
    assert report["rto"]["seconds"] == round((resumed - outage).total_seconds(), 3)
    assert report["control_plane_down_seconds"] == round((back - outage).total_seconds(), 3)
    # HAProxy and the instances outlived the control plane: the steady client saw no failure.
    assert report["client"]["sent"] > 0
    assert report["client"]["failed"] == 0

    with fleet.api() as api:
        history = api.get(f"/executions/{deployment['execution']}/history")["events"]
        stamps = [_at(e["timestamp"]) for e in history]
        # Events before the kill, none while no control plane ran, the first after it at resumed_at.
        assert any(t < outage for t in stamps)
        assert min(t for t in stamps if t > outage) == resumed
        releases = api.get("/releases", execution_id=deployment["execution"])["releases"]
        assert [(r["service"], r["version"], r["status"]) for r in releases] == [("auth", "v2", "verified")]
        auth = next(s for s in api.get("/fleet")["services"] if s["name"] == "auth")
        assert sorted((i["version"], i["state"], i["health"]) for i in auth["instances"]) == [
            ("v2", "InService", "healthy"),
            ("v2", "InService", "healthy"),
        ]
    watchdog = json.loads(next((fleet.folder / ".fleetops/envs/dev/drills").glob("*/watch.json")).read_text())
    assert watchdog["final"] is True
    assert not pid_alive(watchdog["pid"])
    code, out, err = fleet.cli("drill", "list", "-o", "json")
    assert code == 0, err
    assert [(d["scenario"], d["outcome"]) for d in json.loads(out)] == [("control-plane-crash", "met")]
