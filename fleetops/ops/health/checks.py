"""The health checks: pure functions from what was read (``inputs``) to ``CheckResult``s.

Each returns at least one result, so a report shows every check that ran, the ok ones too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fleetops.ops.health.inputs import (
    AlarmInAlarm,
    BackupsSeen,
    DatastoreSeen,
    ExecutionSeen,
    HeldLock,
    OpenIncident,
    OpenWindow,
    RequiredSecret,
    SecretDue,
    ServiceCounts,
    TrafficWindow,
    VersionSeen,
)
from fleetops.ops.health.verdict import CheckResult, Outcome
from fleetops.spec.durations import format_duration

FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
ERROR_RATE_FAIL = 0.05
"""A recent 5XX rate at or above this, and above twice the day's, fails."""
ERROR_RATE_SLACK = 0.01
"""A recent 5XX rate more than this above the day's warns."""
LATENCY_FACTOR = 2.0
"""A recent p95 more than this many times the day's (at least ``LATENCY_FLOOR_MS``) warns."""
LATENCY_FLOOR_MS = 50.0
"""Below this, p95 changes are noise on a quiet fleet, not a degradation."""


def age(span: timedelta) -> str:
    """``1h 5m``, ``3m 2s``, ``40s``: a span the way an operator says it."""
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


def check_config(file: str, problems: Sequence[str], *, services: int, secrets: int) -> list[CheckResult]:
    """The fleet file a deployment would read: fail listing its problems, else ok with what it
    declares (every secret a service names is declared, or the file has a problem)."""
    if problems:
        return [CheckResult("config", Outcome.FAIL, f"{file}: {'; '.join(problems)}")]
    evidence = f"{file} valid: {services} services, {secrets} secrets declared"
    return [CheckResult("config", Outcome.OK, evidence)]


def check_services(services: Sequence[ServiceCounts]) -> list[CheckResult]:
    """Per service: fail with no healthy instance (desired > 0), warn below desired, else ok."""
    results = []
    for service in services:
        counts = f"{service.name}: {service.healthy}/{service.desired} healthy"
        detail = "; ".join(service.unhealthy)
        evidence = f"{counts} ({detail})" if detail else counts
        if service.desired > 0 and service.healthy == 0:
            outcome = Outcome.FAIL
        elif service.healthy < service.desired:
            outcome = Outcome.WARN
        else:
            outcome = Outcome.OK
        results.append(CheckResult("services", outcome, evidence))
    return results or [CheckResult("services", Outcome.OK, "no services")]


def check_alarms(in_alarm: Sequence[AlarmInAlarm]) -> list[CheckResult]:
    """Each alarm in ALARM fails; none: ok."""
    if not in_alarm:
        return [CheckResult("alarms", Outcome.OK, "no alarm in ALARM")]
    return [
        CheckResult("alarms", Outcome.FAIL, f"{a.name} ({a.service}) in ALARM: {a.reason}") for a in in_alarm
    ]


def check_lock(lock: HeldLock | None, *, now: datetime, bound: timedelta) -> list[CheckResult]:
    """A lock held longer than ``bound`` (what a deployment should take) warns: it blocks the next."""
    if lock is None:
        return [CheckResult("lock", Outcome.OK, "not locked")]
    held = now - lock.acquired_at
    evidence = f"locked by {lock.owner} ({lock.reason}) for {age(held)}"
    if held > bound:
        return [CheckResult("lock", Outcome.WARN, f"{evidence}, longer than {age(bound)}")]
    return [CheckResult("lock", Outcome.OK, evidence)]


def check_executions(
    executions: Sequence[ExecutionSeen], *, now: datetime, stuck_after: timedelta
) -> list[CheckResult]:
    """Each execution of the window that failed, or runs longer than ``stuck_after``, warns."""
    results = []
    for execution in executions:
        if execution.status in FAILED_STATUSES:
            error = f" ({execution.error})" if execution.error else ""
            evidence = f"{execution.name} {execution.status}{error}"
            results.append(CheckResult("executions", Outcome.WARN, evidence))
        elif execution.status == "RUNNING" and now - execution.start_date > stuck_after:
            running = age(now - execution.start_date)
            evidence = f"{execution.name} RUNNING for {running}, longer than {age(stuck_after)}"
            results.append(CheckResult("executions", Outcome.WARN, evidence))
    if not results:
        return [
            CheckResult("executions", Outcome.OK, f"{len(executions)} in the window, none failed or stuck")
        ]
    return results


def check_maintenance(windows: Sequence[OpenWindow], *, now: datetime) -> list[CheckResult]:
    """Maintenance on warns: deployments are refused and alarm notifications muted."""
    if not windows:
        return [CheckResult("maintenance", Outcome.OK, "maintenance off")]
    return [
        CheckResult(
            "maintenance",
            Outcome.WARN,
            f"maintenance on for {age(w.ends_at - now)} more, by {w.started_by}: {w.reason}",
        )
        for w in windows
    ]


def check_incidents(incidents: Sequence[OpenIncident], *, now: datetime) -> list[CheckResult]:
    """Each open incident warns, with its severity, status and age: people are on it, and the
    verdict says so until it is resolved."""
    if not incidents:
        return [CheckResult("incidents", Outcome.OK, "no open incident")]
    return [
        CheckResult(
            "incidents",
            Outcome.WARN,
            f"{i.severity} #{i.id} {i.title}: {i.status}, open for {age(now - i.opened_at)}",
        )
        for i in incidents
    ]


def _describe(label: str, window: TrafficWindow) -> str:
    p95 = "-" if window.p95_ms is None else f"{window.p95_ms:.0f} ms"
    return f"{label}: {window.requests} requests, {window.error_rate:.1%} 5XX, p95 {p95}"


def check_traffic(recent: TrafficWindow, day: TrafficWindow) -> list[CheckResult]:
    """The last minutes' 5XX rate and p95 against the last day's (thresholds above)."""
    evidence = f"{_describe('last 5m', recent)}; {_describe('last day', day)}"
    if recent.requests == 0:
        return [CheckResult("traffic", Outcome.OK, evidence)]
    rate, usual = recent.error_rate, day.error_rate
    if rate >= ERROR_RATE_FAIL and rate > 2 * usual:
        return [CheckResult("traffic", Outcome.FAIL, evidence)]
    slow = recent.p95_ms is not None and recent.p95_ms > LATENCY_FACTOR * max(
        day.p95_ms or 0.0, LATENCY_FLOOR_MS
    )
    if rate > usual + ERROR_RATE_SLACK or slow:
        return [CheckResult("traffic", Outcome.WARN, evidence)]
    return [CheckResult("traffic", Outcome.OK, evidence)]


def check_datastores(datastores: Sequence[DatastoreSeen]) -> list[CheckResult]:
    """Each datastore that does not answer fails (the services using it cannot work); else ok."""
    if not datastores:
        return [CheckResult("datastores", Outcome.OK, "no datastores")]
    return [
        CheckResult(
            "datastores", Outcome.OK if d.healthy else Outcome.FAIL, f"{d.name} ({d.kind}): {d.detail}"
        )
        for d in datastores
    ]


def check_secrets(secrets: Sequence[SecretDue], *, now: datetime) -> list[CheckResult]:
    """Each secret whose scheduled rotation is overdue warns (seed 001's security audit: a key
    older than its policy); ok otherwise, with the next one due."""
    overdue = [s for s in secrets if s.due is not None and s.due <= now]
    if overdue:
        return [
            CheckResult(
                "secrets",
                Outcome.WARN,
                f"{s.name}: rotation overdue by {age(now - s.due)} (every {format_duration(s.every)})",
            )
            for s in overdue
            if s.due is not None
        ]
    due = sorted((s.due, s.name) for s in secrets if s.due is not None)
    if not due:
        return [CheckResult("secrets", Outcome.OK, "no secret with a rotation due")]
    moment, name = due[0]
    return [CheckResult("secrets", Outcome.OK, f"no rotation overdue; next: {name} in {age(moment - now)}")]


def check_backups(backups: Sequence[BackupsSeen], *, now: datetime, grace: timedelta) -> list[CheckResult]:
    """Per datastore with a backup schedule: its newest verification failed: fail (its backups may
    not restore); no backup, or none verified (when the schedule verifies), within its interval
    plus ``grace``: warn; else ok."""
    if not backups:
        return [CheckResult("backups", Outcome.OK, "no datastore with a backup schedule")]
    results = []
    for seen in backups:
        late = seen.every + grace
        schedule = f"every {format_duration(seen.every)}"
        if seen.last_verify_failed is not None:
            evidence = f"{seen.datastore}: newest verification failed: {seen.last_verify_failed}"
            results.append(CheckResult("backups", Outcome.FAIL, evidence))
        elif seen.newest is None:
            young = seen.since is None or now - seen.since <= late
            outcome, evidence = (
                (Outcome.OK, f"{seen.datastore}: no backup yet, first due within {age(late)} ({schedule})")
                if young
                else (Outcome.WARN, f"{seen.datastore}: no backup since {iso_time(seen.since)} ({schedule})")
            )
            results.append(CheckResult("backups", outcome, evidence))
        elif now - seen.newest > late:
            evidence = f"{seen.datastore}: newest backup {age(now - seen.newest)} old ({schedule})"
            results.append(CheckResult("backups", Outcome.WARN, evidence))
        elif seen.verify and (seen.newest_verified is None or now - seen.newest_verified > late):
            verified = "none" if seen.newest_verified is None else f"{age(now - seen.newest_verified)} old"
            evidence = f"{seen.datastore}: newest verified backup: {verified} ({schedule}, verified)"
            results.append(CheckResult("backups", Outcome.WARN, evidence))
        else:
            evidence = f"{seen.datastore}: newest backup {age(now - seen.newest)} old ({schedule})"
            results.append(CheckResult("backups", Outcome.OK, evidence))
    return results


def iso_time(moment: datetime | None) -> str:
    """``2026-11-22 09:00Z``: a moment in evidence (``-`` for none)."""
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def check_required_secrets(required: Sequence[RequiredSecret]) -> list[CheckResult]:
    """Each secret a service needs without a current value fails (its instances would start
    without it), naming the service and the secret; else ok with how many were found."""
    missing = [r for r in required if not r.current]
    if missing:
        return [
            CheckResult("required-secrets", Outcome.FAIL, f"{r.service}: secret {r.secret} {r.detail}")
            for r in missing
        ]
    if not required:
        return [CheckResult("required-secrets", Outcome.OK, "no service needs a secret")]
    secrets = len({r.secret for r in required})
    services = len({r.service for r in required})
    evidence = f"{secrets} secrets needed by {services} services, each with a current value"
    return [CheckResult("required-secrets", Outcome.OK, evidence)]


def check_version(version: str | None, seen: Sequence[VersionSeen]) -> list[CheckResult]:
    """Without a version: skipped (ok, saying so). Else one result per finding: not deployable
    fails, a warning warns, the others (checked or said not checked) are ok. A finding without a
    service is about them all."""
    if version is None:
        return [CheckResult("version", Outcome.OK, "skipped: no version given (--version V checks it)")]
    results = []
    for finding in seen:
        if finding.deployable is False:
            outcome = Outcome.FAIL
        elif finding.warn:
            outcome = Outcome.WARN
        else:
            outcome = Outcome.OK
        evidence = f"{finding.service}: {finding.detail}" if finding.service else finding.detail
        results.append(CheckResult("version", outcome, evidence))
    return results or [CheckResult("version", Outcome.OK, f"{version}: no service to deploy it to")]
