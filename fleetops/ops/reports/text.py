"""A report (its JSON document, ``Report.to_json``) as plain text no wider than 100 columns."""

from __future__ import annotations

import textwrap
from typing import Any

WIDTH = 100


def seconds_text(value: float | None) -> str:
    """``4m30s``, ``12.5s``, ``1h05m``, ``-`` for None."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s" if value != int(value) else f"{int(value)}s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def percent_text(rate: float | None, *, scale: float = 100.0, digits: int = 1) -> str:
    """``96.0%`` of a 0..1 rate (``scale`` 1 for a value already in percent)."""
    return "-" if rate is None else f"{rate * scale:.{digits}f}%"


def title(report: dict[str, Any]) -> str:
    """``Delivery report: dev, 2026-11-30 to 2026-12-07``."""
    return f"Delivery report: {report['environment']}, {report['start'][:10]} to {report['end'][:10]}"


def _clip(line: str) -> str:
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"


def render_text(report: dict[str, Any]) -> str:
    """The report as lines of at most ``WIDTH`` characters."""
    d, dora = report["deployments"], report["dora"]
    lines = [
        title(report),
        f"window {report['start']} .. {report['end']} ({report['days']:.1f} days)",
        "",
        "Deployments",
        f"  count {d['count']}  succeeded {d['succeeded']}  failed {d['failed']}  running {d['running']}"
        f"  stopped at approval {d['not_deployed']}",
        f"  success rate {percent_text(d['success_rate'])}  average {seconds_text(d['average_seconds'])}"
        f"  p95 {seconds_text(d['p95_seconds'])}  MTTR {seconds_text(report['mttr_seconds'])}",
        "",
        "DORA keys",
        f"  deployment frequency  {dora['deployment_frequency']['per_day']:.2f}/day"
        f"  {dora['deployment_frequency']['band']}",
        f"  lead time (median)    {seconds_text(dora['lead_time']['median_seconds'])}"
        f"  {dora['lead_time']['band'] or '-'}  (changes: {dora['lead_time']['changes']})",
        f"  change failure rate   {percent_text(dora['change_failure_rate']['rate'])}"
        f"  {dora['change_failure_rate']['band'] or '-'}",
        f"  time to restore       {seconds_text(dora['time_to_restore']['median_seconds'])}"
        f"  {dora['time_to_restore']['band'] or '-'}",
        "",
        f"Rollbacks: {report['rollbacks']['count']} ({report['rollbacks']['automatic']} automatic,"
        f" {report['rollbacks']['manual']} manual)",
    ]
    for cause in report["rollbacks"]["causes"]:
        wrapped = textwrap.wrap(cause["cause"], WIDTH - 10) or ["-"]
        lines.append(f"  {cause['count']:>4}  {wrapped[0]}")
        lines.extend(f"        {more}" for more in wrapped[1:])
    if report["failures"]:
        lines += ["", "Failures by service and step"]
        width = max(len(f["service"]) for f in report["failures"])
        lines.extend(f"  {f['count']:>4}  {f['service']:<{width}}  {f['step']}" for f in report["failures"])
    if report["not_restored"]:
        lines.append(f"  not restored in the window: {', '.join(report['not_restored'])}")
    if report["availability"]:
        lines += ["", "Availability (load balancer, 5XX answers)"]
        width = max(len(a["service"]) for a in report["availability"])
        for a in report["availability"]:
            slo = "-" if a["slo"] is None else f"{a['slo']}%"
            budget = percent_text(a["error_budget_remaining"], digits=0)
            lines.append(
                f"  {a['service']:<{width}}  {percent_text(a['availability'], scale=1.0, digits=3):>9}"
                f"  SLO {slo:>7}  budget left {budget:>6}  requests {a['requests']}  5XX {a['errors']}"
            )
    incidents = report["incidents"]
    severities = ", ".join(f"{s} {n}" for s, n in incidents["by_severity"].items() if n)
    lines += [
        "",
        f"Incidents: {incidents['opened']} opened" + (f" ({severities})" if severities else ""),
        f"  resolved {incidents['resolved']}  still open {incidents['open']}"
        f"  mean time to resolve {seconds_text(incidents['mean_time_to_resolve_seconds'])}",
    ]
    lines += ["", "KPIs (runbook 001)"]
    for kpi in report["kpis"]:
        met = {True: "met", False: "MISSED", None: "-"}[kpi["met"]]
        lines.append(f"  {kpi['kpi']:<32} {kpi['target']:<10} {_kpi_value(kpi):>10}  {met}")
    return "\n".join(_clip(line) for line in lines) + "\n"


def _kpi_value(kpi: dict[str, Any]) -> str:
    value = kpi["value"]
    if kpi["kpi"] == "success rate":
        return percent_text(value)
    if kpi["kpi"].startswith("availability"):
        return percent_text(value, scale=1.0, digits=3)
    return seconds_text(value)
