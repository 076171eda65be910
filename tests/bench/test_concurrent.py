"""``fleetops bench concurrent``: the report's figures, and two environments deployed at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetops.bench.concurrent import ConcurrentReport, ConcurrentSettings, DeploymentResult
from fleetops.errors import BadInput
from fleetops.testing.server import run_cli


def _report(durations: list[float | None]) -> ConcurrentReport:
    results = tuple(
        DeploymentResult(f"bench-{n}", f"deploy-{n}", "FAILED" if d is None else "SUCCEEDED", d)
        for n, d in enumerate(durations)
    )
    return ConcurrentReport(
        settings=ConcurrentSettings(concurrent=len(durations)),
        services=("menu",),
        processes=2 * len(durations),
        setup_s=1.0,
        wall_s=2.0,
        teardown_s=1.0,
        results=results,
    )


def test_the_report_gives_nearest_rank_percentiles_and_the_success_rate() -> None:
    report = _report([float(n) for n in range(20, 0, -1)] + [None] * 5)
    assert (report.percentile(0.5), report.percentile(0.95), report.durations()[-1]) == (10.0, 19.0, 20.0)
    assert report.success_rate == 0.8
    assert report.to_json()["succeeded"] == 20


def test_a_report_with_no_duration_has_no_percentile() -> None:
    assert _report([None]).percentile(0.5) is None


def test_settings_refuse_a_count_outside_one_to_a_hundred() -> None:
    with pytest.raises(BadInput, match=r"--concurrent 0: expected 1\.\.100"):
        ConcurrentSettings(concurrent=0)


@pytest.mark.haproxy
@pytest.mark.slow
def test_two_environments_are_deployed_at_once_and_stopped_after(tmp_path: Path) -> None:
    done = run_cli(
        ["bench", "concurrent", "--concurrent", "2", "--services", "menu", "-o", "json"],
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # per environment: the menu instance and HAProxy (menu uses no datastore, so none runs)
    assert (report["services"], report["processes"], report["succeeded"]) == (["menu"], 4, 2)
    assert [(d["environment"], d["status"]) for d in report["deployments"]] == [
        ("bench-01", "SUCCEEDED"),
        ("bench-02", "SUCCEEDED"),
    ]
    assert 0 < report["duration_p50_s"] <= report["duration_max_s"] < report["wall_s"] + 1
