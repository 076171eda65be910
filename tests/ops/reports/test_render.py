"""A report rendered as text (100 columns), HTML (self-contained, with its plots) and PNG."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fleetops.ops.reports import (
    DeploymentSeen,
    IncidentSeen,
    ReleaseSeen,
    RollbackSeen,
    ServiceTraffic,
    build_report,
)
from fleetops.ops.reports.html import render_html
from fleetops.ops.reports.plots import PLOTS, plot_png, report_png
from fleetops.ops.reports.text import render_text

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TITLE = "Delivery report: dev, 2026-11-15 to 2026-11-22"


def _deployment(day: int, seconds: float, ok: bool) -> DeploymentSeen:
    started = NOW - timedelta(days=day)
    stopped = started + timedelta(seconds=seconds)
    release = ReleaseSeen("menu", day, "verified" if ok else "failed", started, stopped if ok else None)
    if ok:
        return DeploymentSeen(f"deploy-dev-{day}", "SUCCEEDED", started, stopped, (release,))
    cause = "i-3 failed its health checks: " + "connection refused " * 10
    return DeploymentSeen(
        f"deploy-dev-{day}",
        "FAILED",
        started,
        stopped,
        (release,),
        error="fleetops.RolloutFailed",
        cause=cause,
        failed_step="deploy-service",
        failed_service="menu",
        failed_at=started,
    )


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return build_report(
        "dev",
        start=NOW - timedelta(days=7),
        end=NOW,
        deployments=[_deployment(6, 120, True), _deployment(4, 600, False), _deployment(2, 90, True)],
        rollbacks=[RollbackSeen("rollback-dev-1", "SUCCEEDED", NOW - timedelta(days=1), NOW, "bob")],
        traffic=[ServiceTraffic("menu", 1000, 1, 99.9), ServiceTraffic("orders", 0, 0, None)],
        incidents=[
            IncidentSeen("SEV1", NOW - timedelta(days=3), NOW - timedelta(days=3) + timedelta(minutes=25))
        ],
    ).to_json()


def test_text_fits_100_columns_and_says_the_figures(report: dict[str, Any]) -> None:
    text = render_text(report)
    assert max(len(line) for line in text.splitlines()) <= 100
    lines = text.splitlines()
    assert lines[0] == TITLE
    assert "  success rate 66.7%  average 4m30s  p95 10m00s  MTTR 10m00s" in lines
    assert "  change failure rate   33.3%  low" in lines
    assert "  menu      99.900%  SLO   99.9%  budget left     0%  requests 1000  5XX 1" in lines
    incidents = lines.index("Incidents: 1 opened (SEV1 1)")
    assert lines[incidents + 1] == "  resolved 1  still open 0  mean time to resolve 25m00s"


def test_html_is_one_file_with_its_plots(report: dict[str, Any]) -> None:
    html = render_html(report)
    assert re.findall(r"<title>(.*?)</title>", html) == [TITLE]
    assert re.findall(r"<h2>(.*?)</h2>", html) == [
        "Deployments",
        "DORA keys",
        "Plots",
        "Rollbacks and their causes",
        "Failures by service and step",
        "Availability and error budget",
        "Incidents",
        "KPIs",
    ]
    assert re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,', html) == list(PLOTS)
    assert "http" not in html.replace('lang="en"', "")  # nothing fetched from elsewhere


def _png_text(png: bytes) -> dict[str, str]:
    """The tEXt chunks of a PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found, at = {}, 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        if kind == b"tEXt":
            key, _, value = data.partition(b"\0")
            found[key.decode()] = value.decode("latin-1")
        elif kind == b"zTXt":
            key, _, rest = data.partition(b"\0")
            found[key.decode()] = zlib.decompress(rest[1:]).decode("latin-1")
        at += 12 + length
    return found


def test_png_has_the_reports_title(report: dict[str, Any]) -> None:
    png = report_png(report)
    assert _png_text(png)["Title"] == TITLE
    assert len(png) > 20_000  # four drawn plots, not an empty canvas


def test_each_plot_is_drawn_without_data_too(report: dict[str, Any]) -> None:
    empty = build_report(
        "dev", start=NOW - timedelta(days=1), end=NOW, deployments=[], rollbacks=[], traffic=[]
    )
    assert [_png_text(plot_png(empty.to_json(), plot))["Title"] for plot in PLOTS] == list(PLOTS)
