"""``fleetops bench orchestrator``: the real control plane on a timed fake fleet reports its figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetops.bench.orchestrator import OrchestratorSettings
from fleetops.errors import BadInput
from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.server import run_cli


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
