"""A report's plots (matplotlib, drawn off screen): deployments over time, durations, failure
causes, availability; as separate PNGs for the HTML report and as one PNG of all four.

Figures are ``matplotlib.figure.Figure`` objects, never pyplot's global state, so reports can be
drawn on any thread of the server or the CLI.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime
from typing import Any

from matplotlib.axes import Axes
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from fleetops.ops.reports.text import title

OK_COLOUR = "#2e7d32"
FAILED_COLOUR = "#c62828"
NEUTRAL_COLOUR = "#1565c0"

PLOTS = ("Deployments per day", "Deployment durations", "Rollback causes", "Availability per service")
"""Each plot's title, in the order they are drawn."""


def _nothing(axes: Axes, text: str) -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes)


def _deployments(axes: Axes, report: dict[str, Any]) -> None:
    days = report["series"]["per_day"]
    labels = [d["day"][5:] for d in days]
    ok = [d["succeeded"] for d in days]
    bad = [d["failed"] for d in days]
    axes.bar(labels, ok, color=OK_COLOUR, label="succeeded")
    axes.bar(labels, bad, bottom=ok, color=FAILED_COLOUR, label="failed")
    axes.set_ylabel("deployments")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(loc="upper left", fontsize="small")
    axes.tick_params(axis="x", labelrotation=45, labelsize="small")


def _durations(axes: Axes, report: dict[str, Any]) -> None:
    series = report["series"]["durations"]
    if not series:
        _nothing(axes, "no finished deployment")
        return
    when = [datetime.fromisoformat(d["started"]) for d in series]
    seconds = [d["seconds"] for d in series]
    colours = [OK_COLOUR if d["succeeded"] else FAILED_COLOUR for d in series]
    axes.scatter(when, seconds, c=colours)  # type: ignore[arg-type]  # datetimes are plotted as dates
    p95 = report["deployments"]["p95_seconds"]
    if p95 is not None:
        axes.axhline(p95, color="grey", linestyle="--", label=f"p95 {p95:.0f}s")
        axes.legend(loc="upper left", fontsize="small")
    axes.set_xlim(datetime.fromisoformat(report["start"]), datetime.fromisoformat(report["end"]))  # type: ignore[arg-type]  # dates are plotted as dates
    axes.xaxis.set_major_formatter(DateFormatter("%m-%d"))  # type: ignore[no-untyped-call]
    axes.set_ylim(bottom=0)
    axes.set_ylabel("seconds")
    axes.tick_params(axis="x", labelrotation=45, labelsize="small")


def _causes(axes: Axes, report: dict[str, Any]) -> None:
    causes = report["rollbacks"]["causes"][:8]
    if not causes:
        _nothing(axes, "no rollback")
        return
    labels = [textwrap.shorten(c["cause"], 40, placeholder="…") for c in reversed(causes)]
    axes.barh(labels, [c["count"] for c in reversed(causes)], color=FAILED_COLOUR)
    axes.set_xlabel("rollbacks")
    axes.tick_params(axis="y", labelsize="small")


def _availability(axes: Axes, report: dict[str, Any]) -> None:
    measured = [a for a in report["availability"] if a["availability"] is not None]
    if not measured:
        _nothing(axes, "no traffic measured")
        return
    names = [a["service"] for a in measured]
    values = [a["availability"] for a in measured]
    colours = [FAILED_COLOUR if a["slo_met"] is False else NEUTRAL_COLOUR for a in measured]
    axes.bar(names, values, color=colours)
    for index, a in enumerate(measured):
        if a["slo"] is not None:
            axes.hlines(a["slo"], index - 0.4, index + 0.4, colors="black", linestyles="--")
    axes.set_ylim(max(0.0, min(values) - 1.0), 100.0)
    axes.set_ylabel("% not 5XX (-- SLO)")
    axes.tick_params(axis="x", labelrotation=30, labelsize="small")


_DRAW = dict(zip(PLOTS, (_deployments, _durations, _causes, _availability), strict=True))


def _png(figure: Figure, name: str) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100, metadata={"Title": name})
    return out.getvalue()


def plot_png(report: dict[str, Any], plot: str) -> bytes:
    """One plot of ``PLOTS`` as a PNG whose Title is the plot's."""
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(plot)
    _DRAW[plot](axes, report)
    return _png(figure, plot)


def report_png(report: dict[str, Any]) -> bytes:
    """Every plot in one PNG, under the report's title (also its PNG Title)."""
    figure = Figure(figsize=(12.8, 8.0), layout="constrained")
    name = title(report)
    figure.suptitle(name)
    for plot, axes in zip(PLOTS, figure.subplots(2, 2).flat, strict=True):
        axes.set_title(plot)
        _DRAW[plot](axes, report)
    return _png(figure, name)
