"""A delivery report's figures, computed from what was seen (``inputs``) over one window.

Definitions (the README says them too):
- a deployment is an execution of the deploy runbook (deploy, promote) started in the window
  that pinned releases and got past its approval gate; one still running counts in no rate;
- its duration is start to stop; p95 is the nearest-rank 95th percentile;
- a failed deployment rolled back automatically; a rollback is one of those, or an execution
  of the rollback runbook; its cause is the failure's message (``manual rollback by NAME``);
- time to restore runs from the failure (the first failed task) to the environment's next
  good state: the end of the failed deployment when its automatic rollback completed, else
  the end of the next successful deployment or rollback; MTTR is its mean;
- lead time for changes runs from a release's creation to its verification;
- availability is the share of a service's requests the load balancer did not answer with a
  5XX; the error budget is the 5XX answers the SLO allows over the same requests;
- incidents are those opened in the window (``incidents.py``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import mean, median
from typing import Any

from fleetops.ops.reports.dora import (
    Band,
    failure_rate_band,
    frequency_band,
    lead_time_band,
    restore_band,
)
from fleetops.ops.reports.incidents import incident_figures
from fleetops.ops.reports.inputs import DeploymentSeen, IncidentSeen, RollbackSeen, ServiceTraffic

APPROVAL_STEP = "deploy-approval"
UNRESTORED_ERRORS = frozenset({"fleetops.RollbackFailed", "fleetops.LockLost"})
"""Failures after which the deployment did not put the environment back by itself."""

# The seed's KPIs (runbook 001: success rate > 95 %, average deployment < 300 s, MTTR < 15 min,
# availability > 99.9 %).
KPI_SUCCESS_RATE = 0.95
KPI_AVERAGE_DURATION = timedelta(seconds=300)
KPI_MTTR = timedelta(minutes=15)
KPI_AVAILABILITY = 99.9


def p95(values: Sequence[float]) -> float | None:
    """The nearest-rank 95th percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


@dataclass(frozen=True)
class Rollback:
    """A rollback: automatic after a failed deployment, or run by someone."""

    execution: str
    at: datetime
    services: tuple[str, ...]
    cause: str
    automatic: bool


@dataclass(frozen=True)
class Restore:
    """A failed deployment and when the environment was good again (None: not in the window)."""

    execution: str
    failed_at: datetime
    restored_at: datetime | None

    @property
    def duration(self) -> timedelta | None:
        """Time to restore."""
        return None if self.restored_at is None else self.restored_at - self.failed_at


@dataclass(frozen=True)
class Availability:
    """A service's availability and error budget over the window."""

    service: str
    requests: int
    errors: int
    slo: float | None

    @property
    def percent(self) -> float | None:
        """Requests not answered with a 5XX, in percent (None without requests)."""
        return None if not self.requests else 100.0 * (self.requests - self.errors) / self.requests

    @property
    def budget_errors(self) -> float | None:
        """5XX answers the SLO allows over these requests."""
        # Rounded: 1000 requests at 99.9 % allow 1 error, not 0.9999999999999432.
        return None if self.slo is None else round(self.requests * (100.0 - self.slo) / 100.0, 9)

    @property
    def budget_remaining(self) -> float | None:
        """Share of the error budget left (negative when overspent; None without SLO or budget)."""
        allowed = self.budget_errors
        if allowed is None or allowed == 0:
            return None
        return 1.0 - self.errors / allowed

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "service": self.service,
            "requests": self.requests,
            "errors": self.errors,
            "availability": self.percent,
            "slo": self.slo,
            "error_budget_errors": self.budget_errors,
            "error_budget_remaining": self.budget_remaining,
            "slo_met": None if self.slo is None or self.percent is None else self.percent >= self.slo,
        }


@dataclass(frozen=True)
class Report:
    """Every figure of one environment's report over ``start``..``end``."""

    environment: str
    start: datetime
    end: datetime
    deployments: tuple[DeploymentSeen, ...]
    """Counted deployments, oldest first (running ones included)."""
    not_deployed: int
    """Deployments that stopped at their approval gate (nothing changed)."""
    rollbacks: tuple[Rollback, ...]
    restores: tuple[Restore, ...]
    lead_times: tuple[timedelta, ...]
    availability: tuple[Availability, ...]
    incidents: tuple[IncidentSeen, ...] = ()

    @property
    def finished(self) -> list[DeploymentSeen]:
        """Deployments that ended."""
        return [d for d in self.deployments if d.finished]

    @property
    def failed(self) -> list[DeploymentSeen]:
        """Deployments that ended without success."""
        return [d for d in self.finished if not d.succeeded]

    @property
    def days(self) -> float:
        """The window's length in days."""
        return (self.end - self.start) / timedelta(days=1)

    @property
    def durations(self) -> list[timedelta]:
        """Each finished deployment's duration."""
        return [d.stopped - d.started for d in self.finished if d.stopped is not None]

    @property
    def success_rate(self) -> float | None:
        """Succeeded of finished (None when none finished)."""
        finished = self.finished
        return None if not finished else (len(finished) - len(self.failed)) / len(finished)

    @property
    def mttr(self) -> timedelta | None:
        """Mean time to restore over the failures restored in the window."""
        restored = [r.duration for r in self.restores if r.duration is not None]
        return None if not restored else timedelta(seconds=mean(d.total_seconds() for d in restored))

    def failures_by_service_and_step(self) -> list[tuple[str, str, int]]:
        """(service, step, count), most first."""
        counts = Counter((d.failed_service or "-", d.failed_step or d.error or "-") for d in self.failed)
        return sorted(((s, t, n) for (s, t), n in counts.items()), key=lambda x: (-x[2], x[0], x[1]))

    def rollback_causes(self) -> list[tuple[str, int]]:
        """(cause, count), most first."""
        counts = Counter(r.cause for r in self.rollbacks)
        return sorted(counts.items(), key=lambda x: (-x[1], x[0]))

    def per_day(self) -> list[tuple[str, int, int]]:
        """(UTC day, succeeded, failed) for each day of the window."""
        first = self.start.astimezone(UTC).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(UTC).date()
        days = {first + timedelta(days=i): [0, 0] for i in range((last - first).days + 1)}
        for deployment in self.finished:
            counts = days.get(deployment.started.astimezone(UTC).date())
            if counts is not None:
                counts[0 if deployment.succeeded else 1] += 1
        return [(day.isoformat(), ok, bad) for day, (ok, bad) in days.items()]

    def dora(self) -> dict[str, Any]:
        """The four keys, each with its value and band (None when nothing measured it)."""
        finished = self.finished
        per_day = (len(finished) - len(self.failed)) / self.days if self.days > 0 else 0.0
        rate = None if not finished else len(self.failed) / len(finished)
        lead = median(t.total_seconds() for t in self.lead_times) if self.lead_times else None
        restored = [r.duration.total_seconds() for r in self.restores if r.duration is not None]
        restore = median(restored) if restored else None

        def band(value: float | None, of: Any) -> str | None:
            return None if value is None else Band(of(value)).value

        return {
            "deployment_frequency": {"per_day": per_day, "band": frequency_band(per_day).value},
            "lead_time": {
                "median_seconds": lead,
                "mean_seconds": mean(t.total_seconds() for t in self.lead_times) if self.lead_times else None,
                "changes": len(self.lead_times),
                "band": band(lead, lambda s: lead_time_band(timedelta(seconds=s))),
            },
            "change_failure_rate": {"rate": rate, "band": band(rate, failure_rate_band)},
            "time_to_restore": {
                "median_seconds": restore,
                "band": band(restore, lambda s: restore_band(timedelta(seconds=s))),
            },
        }

    def kpis(self) -> list[dict[str, Any]]:
        """The seed's KPIs: each target, the value measured and whether it was met (None: not
        measured)."""
        durations = self.durations
        average = timedelta(seconds=mean(d.total_seconds() for d in durations)) if durations else None
        mttr = self.mttr
        rows: list[dict[str, Any]] = [
            {
                "kpi": "success rate",
                "target": f"> {KPI_SUCCESS_RATE:.0%}",
                "value": self.success_rate,
                "met": None if self.success_rate is None else self.success_rate > KPI_SUCCESS_RATE,
            },
            {
                "kpi": "average deployment",
                "target": f"< {KPI_AVERAGE_DURATION.total_seconds():.0f}s",
                "value": _seconds(average),
                "met": None if average is None else average < KPI_AVERAGE_DURATION,
            },
            {
                "kpi": "MTTR",
                "target": f"< {KPI_MTTR.total_seconds() / 60:.0f}m",
                "value": _seconds(mttr),
                "met": None if mttr is None else mttr < KPI_MTTR,
            },
        ]
        for service in self.availability:
            target = service.slo if service.slo is not None else KPI_AVAILABILITY
            percent = service.percent
            rows.append(
                {
                    "kpi": f"availability {service.service}",
                    "target": f">= {target}%",
                    "value": percent,
                    "met": None if percent is None else percent >= target,
                }
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready values (the API's and ``--format json``'s shape)."""
        durations = [d.total_seconds() for d in self.durations]
        return {
            "environment": self.environment,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "deployments": {
                "count": len(self.finished),
                "succeeded": len(self.finished) - len(self.failed),
                "failed": len(self.failed),
                "running": len(self.deployments) - len(self.finished),
                "not_deployed": self.not_deployed,
                "success_rate": self.success_rate,
                "average_seconds": mean(durations) if durations else None,
                "p95_seconds": p95(durations),
            },
            "rollbacks": {
                "count": len(self.rollbacks),
                "automatic": sum(1 for r in self.rollbacks if r.automatic),
                "manual": sum(1 for r in self.rollbacks if not r.automatic),
                "causes": [{"cause": c, "count": n} for c, n in self.rollback_causes()],
                "items": [
                    {
                        "execution": r.execution,
                        "at": r.at.isoformat(),
                        "services": list(r.services),
                        "cause": r.cause,
                        "automatic": r.automatic,
                    }
                    for r in self.rollbacks
                ],
            },
            "failures": [
                {"service": s, "step": t, "count": n} for s, t, n in self.failures_by_service_and_step()
            ],
            "mttr_seconds": _seconds(self.mttr),
            "not_restored": [r.execution for r in self.restores if r.restored_at is None],
            "dora": self.dora(),
            "availability": [a.to_json() for a in self.availability],
            "incidents": incident_figures(self.incidents, start=self.start, end=self.end),
            "kpis": self.kpis(),
            "series": {
                "per_day": [{"day": d, "succeeded": ok, "failed": bad} for d, ok, bad in self.per_day()],
                "durations": [
                    {
                        "execution": d.name,
                        "started": d.started.isoformat(),
                        "seconds": (d.stopped - d.started).total_seconds(),
                        "succeeded": d.succeeded,
                    }
                    for d in self.finished
                    if d.stopped is not None
                ],
            },
        }


def _restores(failed: Sequence[DeploymentSeen], goods: Sequence[datetime]) -> list[Restore]:
    restores = []
    for deployment in failed:
        failed_at = deployment.failed_at or deployment.started
        stopped = deployment.stopped or failed_at  # failed ones finished: stopped is set
        if deployment.status == "FAILED" and deployment.error not in UNRESTORED_ERRORS:
            restored: datetime | None = stopped
        else:
            restored = min((t for t in goods if t >= stopped), default=None)
        restores.append(Restore(deployment.name, failed_at, restored))
    return restores


def build_report(
    environment: str,
    *,
    start: datetime,
    end: datetime,
    deployments: Sequence[DeploymentSeen],
    rollbacks: Sequence[RollbackSeen],
    traffic: Sequence[ServiceTraffic],
    incidents: Sequence[IncidentSeen] = (),
) -> Report:
    """The report of ``environment`` over ``start``..``end`` from the deploy and rollback
    executions seen (those started in the window; later ones may end a restore), each
    service's traffic and the environment's incidents."""
    in_window = sorted((d for d in deployments if start <= d.started < end), key=lambda d: d.started)
    counted = tuple(d for d in in_window if d.failed_step != APPROVAL_STEP)
    finished = [d for d in counted if d.finished]
    failed = [d for d in finished if not d.succeeded]
    goods = sorted(
        [d.stopped for d in deployments if d.succeeded and d.stopped is not None]
        + [r.stopped for r in rollbacks if r.status == "SUCCEEDED" and r.stopped is not None]
    )
    automatic = [
        Rollback(
            d.name,
            d.failed_at or d.started,
            tuple(sorted({r.service for r in d.releases if r.status in ("rolled_back", "failed")})),
            d.cause or d.error or "unknown",
            automatic=True,
        )
        for d in failed
    ]
    manual = [
        Rollback(r.name, r.started, (), f"manual rollback by {r.requested_by}", automatic=False)
        for r in rollbacks
        if start <= r.started < end and r.status == "SUCCEEDED"
    ]
    lead_times = tuple(
        release.verified_at - release.created_at
        for d in counted
        for release in d.releases
        if release.verified_at is not None
    )
    return Report(
        environment=environment,
        start=start,
        end=end,
        deployments=counted,
        not_deployed=len(in_window) - len(counted),
        rollbacks=tuple(sorted(automatic + manual, key=lambda r: r.at)),
        restores=tuple(_restores(failed, goods)),
        lead_times=lead_times,
        availability=tuple(Availability(t.service, t.requests, t.errors, t.slo) for t in traffic),
        incidents=tuple(incidents),
    )
