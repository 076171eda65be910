"""``fleetops deploy / rollback / stop / executions`` end to end: a real server, real processes
behind HAProxy (the local provider), the built-in runbooks in the server's execution service."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.server import run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

BAKE = {"bake_time": "2s"}  # the bad release fails its health 1 s after start: caught while baking


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "shop"
    write_fleet(folder, {"menu": {"deploy": BAKE}, "notifications": {"deploy": BAKE, "depends_on": ["menu"]}})
    try:
        up = run_cli(["up", "-o", "json"], cwd=folder, timeout=120)
        assert up.returncode == 0, up.stderr
        yield folder
    finally:
        run_cli(["down"], cwd=folder, timeout=60)


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args), cwd=folder, timeout=180)


def _versions(folder: Path) -> dict[str, list[str]]:
    status = json.loads(_cli(folder, "status", "-o", "json").stdout)
    return {s["name"]: s["versions"] for s in status["services"]}


def test_deploy_then_a_bad_release_is_rolled_back(fleet_dir: Path) -> None:
    good = _cli(fleet_dir, "deploy", "dev", "--version", "v2", "--wait", "-o", "json")
    assert good.returncode == 0, good.stderr
    progress = json.loads(good.stdout)
    assert progress["status"] == "SUCCEEDED"
    assert [(s["wave"], s["service"], s["status"]) for s in progress["services"]] == [
        (0, "menu", "Successful"),
        (1, "notifications", "Successful"),
    ]
    assert _versions(fleet_dir) == {"menu": ["v2"], "notifications": ["v2"]}

    bad = _cli(fleet_dir, "deploy", "dev", "--version", "bad", "--wait", "-o", "json")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    failed = json.loads(bad.stdout)
    assert failed["error"] == "fleetops.RolloutFailed"
    assert failed["cause"].startswith("menu bad (release #2): ")
    assert [r["service"] for r in failed["rollback"]] == ["menu"]
    assert _versions(fleet_dir) == {"menu": ["v2"], "notifications": ["v2"]}

    releases = json.loads(_cli(fleet_dir, "releases", "-o", "json").stdout)
    assert sorted((r["service"], r["version"], r["status"]) for r in releases) == [
        ("menu", "bad", "failed"),
        ("menu", "v2", "verified"),
        ("notifications", "bad", "rolled_back"),
        ("notifications", "v2", "verified"),
    ]
    listed = json.loads(_cli(fleet_dir, "executions", "list", "-o", "json").stdout)
    assert [e["status"] for e in listed] == ["FAILED", "SUCCEEDED"]
