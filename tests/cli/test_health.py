"""``fleetops health`` through the real CLI on a real small fleet: healthy after ``up``, failing
with the evidence while a service's instances are killed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fleetops.server.settings import pid_dirs
from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.server import cli_env, run_cli
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


def _health(folder: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(["health", "--checklist", "post-deploy", "-o", "json"], cwd=folder, timeout=60)


def _kill_instances(folder: Path, service: str, stop: threading.Event) -> None:
    """SIGKILL every instance of ``service`` as soon as its pid file appears (a crash loop: the
    provider's replacements die too), each pid once, until ``stop``."""
    killed: set[int] = set()
    while not stop.is_set():
        for pid_dir in pid_dirs(folder / ".fleetops"):
            for pid_file in pid_dir.glob(f"{service}-*.pid"):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    pid = int(pid_file.read_text().split()[0])
                    if pid not in killed:
                        killed.add(pid)
                        os.kill(pid, signal.SIGKILL)
        stop.wait(0.02)


def test_health_is_healthy_after_up_and_failing_while_instances_are_killed(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    write_fleet(folder, {"menu": {"instances": {"min": 1, "desired": 2, "max": 3}}, "auth": {}})
    try:
        up = run_cli(["up", "-o", "json"], cwd=folder, timeout=120)
        assert up.returncode == 0, up.stderr

        healthy = _health(folder)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        report = json.loads(healthy.stdout)
        assert (report["verdict"], report["checklist"]) == ("healthy", "post-deploy")
        assert [(c["check"], c["outcome"], c["evidence"]) for c in report["checks"][:4]] == [
            ("services", "ok", "menu: 2/2 healthy"),
            ("services", "ok", "auth: 1/1 healthy"),
            ("datastores", "ok", "no datastores"),
            ("alarms", "ok", "no alarm in ALARM"),
        ]
        assert [c["check"] for c in report["checks"][4:]] == ["traffic"]

        ready = run_cli(
            ["health", "--checklist", "pre-deploy", "--version", "v2", "-o", "json"], cwd=folder, timeout=60
        )
        assert ready.returncode == 0, ready.stdout + ready.stderr
        checks = json.loads(ready.stdout)["checks"]
        assert checks[:3] == [
            {
                "check": "config",
                "outcome": "ok",
                "evidence": "fleet.yaml valid: 2 services, 0 secrets declared",
            },
            {"check": "required-secrets", "outcome": "ok", "evidence": "no service needs a secret"},
            {
                "check": "version",
                "outcome": "ok",
                "evidence": "v2 is a valid version; a local environment has no image to look for "
                "(each service's command runs with it as {version})",
            },
        ]
        not_a_version = run_cli(["health", "-c", "pre-deploy", "--version", "v 2"], cwd=folder, timeout=60)
        assert (not_a_version.returncode, not_a_version.stdout) == (2, "")
        assert "version 'v 2' is not a version" in not_a_version.stderr
        fleet_file = folder / "fleet.yaml"
        valid = fleet_file.read_text()
        fleet_file.write_text(
            valid.replace("    instances:\n", "    secrets: [db-password]\n    instances:\n", 1)
        )
        try:
            broken = run_cli(["health", "--checklist", "pre-deploy", "-o", "json"], cwd=folder, timeout=60)
        finally:
            fleet_file.write_text(valid)
        assert broken.returncode == 1, broken.stdout + broken.stderr
        report = json.loads(broken.stdout)
        assert (report["verdict"], report["checks"][0]["outcome"]) == ("failing", "fail")
        assert "unknown secret 'db-password'" in report["checks"][0]["evidence"]

        watch_out = tmp_path / "watch.out"
        with watch_out.open("w") as out:
            watcher = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "fleetops",
                    "health",
                    "-c",
                    "post-deploy",
                    "--watch",
                    "--interval",
                    "1",
                ],
                cwd=folder,
                env=cli_env(None),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        stop = threading.Event()
        killer = threading.Thread(target=_kill_instances, args=(folder, "menu", stop))
        try:
            wait_until(lambda: "dev: healthy (post-deploy)" in watch_out.read_text(), what="a healthy report")
            killer.start()
            wait_until(
                lambda: "dev: failing (post-deploy)" in watch_out.read_text(), what="the watch failing"
            )

            def failing() -> subprocess.CompletedProcess[str] | None:
                done = _health(folder)
                return done if done.returncode == 1 else None

            failed = wait_until(failing, timeout=60, what="health failing")
        finally:
            stop.set()
            if killer.is_alive():
                killer.join()
            watcher.send_signal(signal.SIGINT)
            watcher.wait(timeout=30)
        assert "menu: 0/2 healthy" in watch_out.read_text()
        report = json.loads(failed.stdout)
        assert report["verdict"] == "failing"
        not_ok = [
            (c["check"], c["outcome"], c["evidence"].split(" (")[0])
            for c in report["checks"]
            if c["outcome"] != "ok"
        ]
        assert not_ok == [("services", "fail", "menu: 0/2 healthy")]

        table = run_cli(["health", "--checklist", "post-deploy"], cwd=folder, timeout=60)
        assert table.returncode in (0, 1) and table.stdout.startswith("dev: ")
    finally:
        down = run_cli(["down"], cwd=folder, timeout=90)
    assert down.returncode == 0, down.stderr
