"""A report as one self-contained HTML file: its figures as tables, its plots as PNGs embedded
in ``data:`` URIs (no file or network reference, so it can be mailed or archived as is)."""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from fleetops.ops.reports.plots import PLOTS, plot_png
from fleetops.ops.reports.text import percent_text, seconds_text, title

_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
th { background: #f3f3f3; }
.elite, .met { color: #2e7d32; font-weight: bold; }
.high { color: #558b2f; } .medium { color: #ef6c00; }
.low, .missed { color: #c62828; font-weight: bold; }
figure { display: inline-block; margin: 0.5em; }
"""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _band(band: str | None) -> str:
    return "-" if band is None else f'<span class="{escape(band)}">{escape(band)}</span>'


def render_html(report: dict[str, Any]) -> str:
    """The report as an HTML document."""
    name = escape(title(report))
    d, dora = report["deployments"], report["dora"]
    summary = _table(
        ["deployments", "succeeded", "failed", "success rate", "average", "p95", "MTTR"],
        [
            [
                str(d["count"]),
                str(d["succeeded"]),
                str(d["failed"]),
                percent_text(d["success_rate"]),
                seconds_text(d["average_seconds"]),
                seconds_text(d["p95_seconds"]),
                seconds_text(report["mttr_seconds"]),
            ]
        ],
    )
    keys = _table(
        ["DORA key", "value", "band"],
        [
            [
                "deployment frequency",
                f"{dora['deployment_frequency']['per_day']:.2f} per day",
                _band(dora["deployment_frequency"]["band"]),
            ],
            [
                "lead time for changes (median)",
                seconds_text(dora["lead_time"]["median_seconds"]),
                _band(dora["lead_time"]["band"]),
            ],
            [
                "change failure rate",
                percent_text(dora["change_failure_rate"]["rate"]),
                _band(dora["change_failure_rate"]["band"]),
            ],
            [
                "time to restore (median)",
                seconds_text(dora["time_to_restore"]["median_seconds"]),
                _band(dora["time_to_restore"]["band"]),
            ],
        ],
    )
    causes = _table(
        ["rollbacks", "cause"],
        [[str(c["count"]), escape(c["cause"])] for c in report["rollbacks"]["causes"]],
    )
    failures = _table(
        ["failures", "service", "step"],
        [[str(f["count"]), escape(f["service"]), escape(f["step"])] for f in report["failures"]],
    )
    availability = _table(
        ["service", "availability", "SLO", "error budget left", "requests", "5XX"],
        [
            [
                escape(a["service"]),
                percent_text(a["availability"], scale=1.0, digits=3),
                "-" if a["slo"] is None else f"{a['slo']}%",
                percent_text(a["error_budget_remaining"], digits=0),
                str(a["requests"]),
                str(a["errors"]),
            ]
            for a in report["availability"]
        ],
    )
    found = report["incidents"]
    incidents = _table(
        ["incidents opened", *found["by_severity"], "resolved", "still open", "mean time to resolve"],
        [
            [
                str(found["opened"]),
                *(str(n) for n in found["by_severity"].values()),
                str(found["resolved"]),
                str(found["open"]),
                seconds_text(found["mean_time_to_resolve_seconds"]),
            ]
        ],
    )
    kpis = _table(
        ["KPI (runbook 001)", "target", "met"],
        [
            [
                escape(k["kpi"]),
                escape(k["target"]),
                {True: '<span class="met">met</span>', False: '<span class="missed">missed</span>'}.get(
                    k["met"], "-"
                ),
            ]
            for k in report["kpis"]
        ],
    )
    plots = "".join(
        f'<figure><img alt="{escape(plot)}" src="data:image/png;base64,'
        f'{base64.b64encode(plot_png(report, plot)).decode()}"><figcaption>{escape(plot)}</figcaption>'
        "</figure>"
        for plot in PLOTS
    )
    window = f"{escape(report['start'])} to {escape(report['end'])}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{name}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{name}</h1><p>Window: {window}.</p>"
        f"<h2>Deployments</h2>{summary}<h2>DORA keys</h2>{keys}<h2>Plots</h2>{plots}"
        f"<h2>Rollbacks and their causes</h2>{causes}<h2>Failures by service and step</h2>{failures}"
        f"<h2>Availability and error budget</h2>{availability}<h2>Incidents</h2>{incidents}"
        f"<h2>KPIs</h2>{kpis}</body></html>\n"
    )
