"""``fleetops deploy / rollback / stop / executions`` end to end: a real server, real processes
behind HAProxy (the local provider), the built-in runbooks in the server's execution service."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from fleetops.ops.maintenance import end_maintenance, start_maintenance
from fleetops.store import Store
from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.server import run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

BAKE = {"bake_time": "2s"}  # the bad release fails its health 1 s after start: caught while baking


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One running fleet for the module (its tests run in order and build on each other)."""
    folder = tmp_path_factory.mktemp("deploy") / "shop"
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
        (1, "menu", "Successful"),
        (2, "notifications", "Successful"),
    ]
    assert _versions(fleet_dir) == {"menu": ["v2"], "notifications": ["v2"]}

    bad = _cli(fleet_dir, "deploy", "dev", "--version", "bad", "--wait", "-o", "json")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    failed = json.loads(bad.stdout)
    assert failed["error"] == "fleetops.RolloutFailed"
    assert failed["cause"].startswith("menu bad (release #3): ")
    assert [r["service"] for r in failed["rollback"]] == ["menu"]
    assert _versions(fleet_dir) == {"menu": ["v2"], "notifications": ["v2"]}

    releases = json.loads(_cli(fleet_dir, "releases", "-o", "json").stdout)
    assert sorted((r["service"], r["version"], r["status"]) for r in releases) == [
        ("menu", "bad", "failed"),
        ("menu", "v1", "verified"),
        ("menu", "v2", "verified"),
        ("notifications", "bad", "rolled_back"),
        ("notifications", "v1", "verified"),
        ("notifications", "v2", "verified"),
    ]
    listed = json.loads(_cli(fleet_dir, "executions", "list", "-o", "json").stdout)
    assert [e["status"] for e in listed] == ["FAILED", "SUCCEEDED"]


def test_plan_live_skips_services_already_on_the_version(fleet_dir: Path) -> None:
    same = json.loads(_cli(fleet_dir, "plan", "dev", "--version", "v2", "--live", "-o", "json").stdout)
    assert same["waves"] == []
    assert same["live"]["already_on_version"] == ["menu", "notifications"]
    other = json.loads(_cli(fleet_dir, "plan", "dev", "--version", "v9", "--live", "-o", "json").stdout)
    assert other["waves"] == [["menu"], ["notifications"]]
    assert other["live"] == {
        "current_versions": {"menu": ["v2"], "notifications": ["v2"]},
        "already_on_version": [],
    }


def test_a_held_lock_or_maintenance_refuses_at_once(fleet_dir: Path) -> None:
    with Store.open(None, fleet_dir / ".fleetops") as store:
        store.locks.acquire("dev", owner="ana-hotfix", reason="hotfix", lease=timedelta(minutes=5))
        locked = _cli(fleet_dir, "deploy", "dev", "--version", "v4")
        store.locks.force_release("dev")
        start_maintenance(store, environment="dev", reason="db upgrade", by="bo")
        in_maintenance = _cli(fleet_dir, "deploy", "dev", "--version", "v4")
        end_maintenance(store, environment="dev", by="bo")
    assert locked.returncode == 3
    assert "environment 'dev' is locked by 'ana-hotfix' (reason: hotfix)" in locked.stderr
    assert in_maintenance.returncode == 3
    assert "maintenance of environment 'dev' by bo" in in_maintenance.stderr


def test_stop_aborts_and_rolls_back_what_it_touched(fleet_dir: Path) -> None:
    started = json.loads(_cli(fleet_dir, "deploy", "dev", "--version", "v5", "-o", "json").stdout)
    stopped = _cli(fleet_dir, "stop", started["execution"], "-o", "json")
    assert stopped.returncode == 0, stopped.stderr
    [result] = json.loads(stopped.stdout)
    assert result["status"] == "ABORTED"
    if result["rollback"] is not None:
        name = result["rollback"]["execution"]
        for _ in range(120):
            undo = json.loads(_cli(fleet_dir, "executions", "describe", name, "-o", "json").stdout)
            if undo["status"] != "RUNNING":
                break
            time.sleep(0.5)
        assert (undo["status"], undo["error"], undo["cause"]) == ("SUCCEEDED", None, None)
    assert _versions(fleet_dir) == {"menu": ["v2"], "notifications": ["v2"]}
    with Store.open(None, fleet_dir / ".fleetops") as store:
        assert store.locks.get("dev") is None


def test_executions_export_cleanup_import(fleet_dir: Path, tmp_path: Path) -> None:
    exported = _cli(fleet_dir, "executions", "export", "--days", "1")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    names = sorted(e["name"] for e in document["executions"])
    assert len(names) >= 4  # two deploys, the stopped one and its rollback (if it had one)
    path = tmp_path / "executions.json"
    path.write_text(exported.stdout)

    cleaned = _cli(fleet_dir, "executions", "cleanup", "--keep", "1", "-o", "json")
    assert json.loads(cleaned.stdout) == {"deleted": len(names) - 1, "kept": 1}
    imported = _cli(fleet_dir, "executions", "import", str(path), "-o", "json")
    assert json.loads(imported.stdout) == {"imported": len(names) - 1, "skipped": 1}
    listed = json.loads(_cli(fleet_dir, "executions", "list", "-o", "json").stdout)
    assert sorted(e["execution"] for e in listed) == names
    history = json.loads(_cli(fleet_dir, "executions", "history", names[0], "-o", "json").stdout)
    assert history[0]["type"] == "ExecutionStarted"
