"""``fleetops bench orchestrator``: the real control plane on a timed fake fleet reports its figures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fleetops.bench.orchestrator import OrchestratorSettings
from fleetops.errors import BadInput
from fleetops.processes import pid_alive
from fleetops.server.settings import read_server_file
from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.server import cli_env, run_cli
from fleetops.testing.waiting import wait_until


def test_two_control_planes_need_postgresql() -> None:
    with pytest.raises(BadInput, match=r"--control-planes 2 shares one store between servers: use --store"):
        OrchestratorSettings(deployments=2, control_planes=2)


@pytest.mark.slow
def test_two_deployments_on_one_control_plane_report_every_figure(tmp_path: Path) -> None:
    # One service, one instance, no warmup or bake: the settings imply one batch (its 200 ms
    # deregistration delay), so the run is mostly the server's start-up.
    fleet = write_fleet(tmp_path / "fleet", {"menu": {}})
    done = run_cli(
        ["bench", "orchestrator", "--deployments", "2", "--fleet", str(fleet), "--poll", "0.5", "-o", "json"],
        cwd=tmp_path,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["services"], report["implied_s"]) == (["menu"], 0.2)
    assert report["baseline_status"] == "SUCCEEDED"
    assert (report["succeeded"], report["success_rate"]) == (2, 1.0)
    assert [(d["environment"], d["control_plane"], d["status"]) for d in report["deployment_list"]] == [
        ("bench-0001", 1, "SUCCEEDED"),
        ("bench-0002", 1, "SUCCEEDED"),
    ]
    # every deployment walked the same states: the engine's history, read back through the API
    assert len({d["transitions"] for d in report["deployment_list"]}) == 1
    assert report["transitions"] == 2 * report["deployment_list"][0]["transitions"] > 0
    plane = report["planes"][0]
    assert plane["rss_peak_mb"] >= plane["rss_start_mb"] > 0
    assert plane["write_transactions"] > 0
    assert {"history_events", "executions", "locks"} <= set(plane["rows_by_table"])


@pytest.mark.slow
def test_a_terminated_bench_stops_its_control_plane_and_removes_its_folder(tmp_path: Path) -> None:
    # A bake of 10 minutes keeps the baseline deployment running when the bench gets SIGTERM.
    fleet = write_fleet(tmp_path / "fleet", {"menu": {"deploy": {"bake_time": "10m"}}})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with (tmp_path / "bench.err").open("wb") as err:
        bench = subprocess.Popen(
            [sys.executable, "-m", "fleetops", "bench", "orchestrator", "-n", "1", "--fleet", str(fleet)],
            cwd=tmp_path,
            env=cli_env({"TMPDIR": str(scratch)}),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    server_pid: int | None = None
    try:
        started = "baseline: one deployment alone"
        wait_until(lambda: started in (tmp_path / "bench.err").read_text(), timeout=60)
        [state_dir] = scratch.glob("fleetops-bench-orch-*/plane-1/.fleetops")
        server = read_server_file(state_dir)
        assert server is not None
        server_pid = server["pid"]
        assert pid_alive(server_pid)
        bench.send_signal(signal.SIGTERM)
        assert bench.wait(timeout=60) == 143
        assert not pid_alive(server_pid)
        assert list(scratch.iterdir()) == []
    finally:  # what the bench left, when this fails
        if bench.poll() is None:
            bench.kill()
        if server_pid is not None and pid_alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
