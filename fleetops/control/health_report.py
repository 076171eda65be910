"""``HealthReport`` of one environment: reads what exists into ``ops.health``'s inputs and runs
the checks its checklist selects (on the server's event loop, per request).

Reads: the fleet runtime's status (desired vs healthy, target health reasons, its datastores'
probes), its alarms (those in ALARM), the environment's lock, the built-in runbooks' executions
of the last day, open maintenance windows, the load balancer's access log through the Logs
Insights engine (the last 5 minutes against the last day), the secrets' rotation schedules and
the backup catalog, whether each secret a service needs has a current value (the store's, or
Secrets Manager's for an aws environment), and with a version to deploy, the image its release
would use (``aws_images``) and the releases of it the environment has. Only the selected checks
read anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol, runtime_checkable

from fleetops.control.aws_images import versions_on_aws
from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.control.aws_secrets import AwsSecrets
from fleetops.control.log_queries import LogQueries
from fleetops.errors import BadInput, Refused
from fleetops.ops.alarms import AlarmState, AlarmStatus
from fleetops.ops.health import (
    AlarmInAlarm,
    BackupsSeen,
    CheckResult,
    DatastoreSeen,
    ExecutionSeen,
    HealthReport,
    HeldLock,
    OpenIncident,
    OpenWindow,
    Outcome,
    RequiredSecret,
    SecretDue,
    ServiceCounts,
    TrafficWindow,
    VersionSeen,
    check_alarms,
    check_backups,
    check_datastores,
    check_executions,
    check_incidents,
    check_lock,
    check_maintenance,
    check_required_secrets,
    check_secrets,
    check_services,
    check_traffic,
    check_version,
    selection,
)
from fleetops.ops.maintenance import maintenance_status
from fleetops.ops.releases import secrets_used
from fleetops.ops.secrets.catalog import list_secrets
from fleetops.providers.aws.session import AwsError
from fleetops.runbooks.ports import FleetControl, ServiceStatus
from fleetops.spec.fleet import Fleet
from fleetops.spec.plan import plan
from fleetops.spec.resources import VERSION_PATTERN
from fleetops.store import Store
from fleetops.store.releases import ReleaseStatus
from fleetops.store.secrets import AWSCURRENT

LOCK_BOUND = timedelta(hours=1)
"""The least a lock may be held before it is reported: a deployment waiting for its approval
holds the lock too, so the plan's estimate alone would report every approval wait."""
LOCK_FACTOR = 2
"""A lock held longer than this many times the plan's estimate of deploying every service is stale."""
STUCK_AFTER = timedelta(hours=1)
"""An execution RUNNING longer than this is reported as stuck."""
EXECUTION_WINDOW = timedelta(days=1)
BACKUP_GRACE = timedelta(minutes=15)
"""How late a scheduled backup (or its verification) may be before it is reported: a backup of a
large database takes minutes."""
RECENT = timedelta(minutes=5)
BASELINE = timedelta(days=1)
COUNT_QUERY = 'filter @logStream = "access" | stats count(*) as requests, sum(status >= 500) as errors'
P95_QUERY = (
    # -1: no target answered (HAProxy's own 503/504), not a response time.
    'filter @logStream = "access" and response_time_ms >= 0 | stats pct(response_time_ms, 95) as p95'
)


@runtime_checkable
class AlarmDescriber(Protocol):
    """A runtime's alarms (``AlarmMonitor``, ``AwsAlarms``)."""

    def describe(self, *, service: str | None = None, state: str | None = None) -> list[AlarmStatus]:
        """Every alarm target; only those in ``state``."""
        ...


def service_counts(service: ServiceStatus) -> ServiceCounts:
    """Desired and healthy counts, and the target health of each instance not healthy."""
    unhealthy = tuple(
        f"{i.id} {i.state} {i.health}" + (f": {i.health_reason}" if i.health_reason else "")
        for i in service.instances
        if i.state in ("Pending", "InService") and not (i.state == "InService" and i.health == "healthy")
    )
    return ServiceCounts(service.name, service.desired, service.healthy, unhealthy)


def lock_bound(fleet: Fleet, environment: str) -> timedelta:
    """How long the lock may be held: ``LOCK_FACTOR`` times the plan's estimate of deploying every
    service, at least ``LOCK_BOUND``."""
    return max(LOCK_BOUND, LOCK_FACTOR * plan(fleet, environment).estimate)


def execution_environment(name: str) -> str:
    """``deploy-dev-20261122T090000-3f2a`` -> ``dev`` (``control.deployments.new_name``)."""
    head = name.rsplit("-", 2)[0]
    return head.partition("-")[2]


def traffic(runtime: object, now: datetime) -> list[CheckResult]:
    """The traffic check over the access log; ok with the reason when it cannot be read."""
    if not isinstance(runtime, LogQueries):
        return [CheckResult("traffic", Outcome.OK, "not measured: this runtime has no access log")]

    def window(span: timedelta) -> TrafficWindow:
        def first(query: str) -> dict[str, str]:
            found = runtime.query_logs(query, services=[], platform=True, start=now - span, end=now)
            return found.rows[0] if found.rows else {}

        counts, p95 = first(COUNT_QUERY), first(P95_QUERY).get("p95")
        return TrafficWindow(
            requests=int(float(counts.get("requests") or "0")),
            errors=int(float(counts.get("errors") or "0")),
            p95_ms=float(p95) if p95 else None,
        )

    try:
        return check_traffic(window(RECENT), window(BASELINE))
    except BadInput as err:  # aws: Logs Insights runs in CloudWatch, not here
        return [CheckResult("traffic", Outcome.OK, f"not measured: {err}")]


def health_report(
    runtime: FleetControl,
    store: Store,
    machine_arns: Sequence[str],
    *,
    checklist: str,
    now: datetime,
    version: str | None = None,
) -> HealthReport:
    """Run ``checklist``'s checks (built in, or the fleet file's) on ``runtime``'s environment at
    ``now``, the ``version`` check on ``version`` (None: skipped); ``BadInput`` for an unknown
    checklist, a malformed version, or a version given to a checklist without that check."""
    checks = selection(checklist, runtime.fleet.checklists)
    if version is not None:
        check_version_name(version, checklist, checks)
    environment = runtime.environment
    # Services and datastores both read it, once per report; the datastores' health (a new
    # connection to each) only for a checklist that checks them.
    status = cache(runtime.status if "datastores" in checks else runtime.services_status)
    readers: dict[str, Callable[[], list[CheckResult]]] = {
        "services": lambda: check_services([service_counts(s) for s in status().services]),
        "datastores": lambda: check_datastores(
            [DatastoreSeen(d.name, d.kind, d.healthy, d.detail) for d in status().datastores]
        ),
        "alarms": lambda: check_alarms(_in_alarm(runtime)),
        "lock": lambda: check_lock(
            _lock(store, environment), now=now, bound=lock_bound(runtime.fleet, environment)
        ),
        "executions": lambda: check_executions(
            _executions(store, machine_arns, environment, now), now=now, stuck_after=STUCK_AFTER
        ),
        "maintenance": lambda: check_maintenance(
            [
                OpenWindow(w.reason, w.started_by, w.ends_at)
                for w in maintenance_status(store, environment=environment, now=now)
            ],
            now=now,
        ),
        "traffic": lambda: traffic(runtime, now),
        "secrets": lambda: check_secrets(
            _secrets_due(store, runtime.fleet, environment, now, _aws_secrets(runtime)), now=now
        ),
        "backups": lambda: check_backups(
            _backups(store, runtime.fleet, environment), now=now, grace=BACKUP_GRACE
        ),
        "required-secrets": lambda: check_required_secrets(
            required_secrets(runtime.fleet, environment, _aws_secrets(runtime), store)
        ),
        "version": lambda: check_version(
            version, [] if version is None else _version_seen(runtime, store, version)
        ),
        "incidents": lambda: check_incidents(
            [
                OpenIncident(i.id, i.severity, i.title, i.status, i.opened_at)
                for i in reversed(store.incidents.list(environment=environment))
            ],
            now=now,
        ),
    }
    results = [result for name in checks for result in readers[name]()]
    return HealthReport(environment, checklist, tuple(results))


def _in_alarm(runtime: object) -> list[AlarmInAlarm]:
    alarms = getattr(runtime, "alarms", None)
    if not isinstance(alarms, AlarmDescriber):
        return []
    return [AlarmInAlarm(a.name, a.service, a.reason) for a in alarms.describe(state=AlarmState.ALARM.value)]


def _lock(store: Store, environment: str) -> HeldLock | None:
    lock = store.locks.get(environment)
    return None if lock is None else HeldLock(lock.owner, lock.reason, lock.acquired_at)


def _executions(
    store: Store, machine_arns: Sequence[str], environment: str, now: datetime
) -> list[ExecutionSeen]:
    since = now - EXECUTION_WINDOW
    seen = [
        ExecutionSeen(r.name, r.status, r.start_date, r.error)
        for arn in machine_arns
        for r in store.executions.list(arn, limit=1000)
        if execution_environment(r.name) == environment and (r.start_date >= since or r.status == "RUNNING")
    ]
    return sorted(seen, key=lambda e: e.start_date)


def _secrets_due(
    store: Store, fleet: Fleet, environment: str, now: datetime, aws: AwsSecrets | None
) -> list[SecretDue]:
    # On aws the schedule is Secrets Manager's (RotationRules, NextRotationDate): AWS rotates
    # there, and the local store holds nothing of that environment.
    summaries = aws.summaries() if aws is not None else list_secrets(store, fleet, environment, now=now)
    return [
        SecretDue(s.name, timedelta(seconds=s.rotation_every_s), s.next_rotation)
        for s in summaries
        if s.rotation_every_s is not None
    ]


def _backups(store: Store, fleet: Fleet, environment: str) -> list[BackupsSeen]:
    """Each datastore of ``environment`` with a backup schedule, and its catalog's newest entries."""
    firsts = [store.releases.get(environment, service, 1) for service in fleet.services]
    started = [release.created_at for release in firsts if release is not None]
    seen = []
    for name, datastore in fleet.datastores.items():
        schedule = datastore.backup
        if schedule is None or (
            datastore.environments is not None and environment not in datastore.environments
        ):
            continue
        taken = store.backups.list(environment=environment, datastore=name, limit=100)
        verified = [b for b in taken if b.verify_status == "verified"]
        checked = next((b for b in taken if b.verify_status is not None), None)
        seen.append(
            BackupsSeen(
                datastore=name,
                every=schedule.every,
                verify=schedule.verify,
                newest=taken[0].created_at if taken else None,
                newest_verified=verified[0].created_at if verified else None,
                last_verify_failed=(
                    checked.verify_detail or "failed"
                    if checked is not None and checked.verify_status != "verified"
                    else None
                ),
                since=min(started, default=None),
            )
        )
    return seen


def check_version_name(version: str, checklist: str, checks: Sequence[str]) -> None:
    """``BadInput`` unless ``version`` could be deployed by name (the fleet file's version
    pattern) and ``checks`` has the version check to read it."""
    if re.fullmatch(VERSION_PATTERN.strip("^$"), version) is None:
        raise BadInput(
            f"version {version!r} is not a version: letters, digits, '.', '_', '+' and '-', "
            "starting with a letter or digit, at most 128 characters"
        )
    if "version" not in checks:
        raise BadInput(f"checklist {checklist!r} has no version check to read a version (pre-deploy has)")


def _aws_secrets(runtime: object) -> AwsSecrets | None:
    secrets = getattr(runtime, "secrets", None)
    return secrets if isinstance(secrets, AwsSecrets) else None


def required_secrets(
    fleet: Fleet, environment: str, aws: AwsSecrets | None, store: Store
) -> list[RequiredSecret]:
    """Each (service, secret) the environment's services get, and whether the secret has a
    current value: in Secrets Manager (``aws``) for an aws environment, else in the store."""
    found: dict[str, tuple[bool, str]] = {}

    def current(name: str) -> tuple[bool, str]:
        if name in found:
            return found[name]
        if aws is not None:
            where = f"in Secrets Manager ({aws.secret_id(name)})"
            try:
                has = aws.summary(name).current is not None
            except (AwsError, Refused) as err:  # AwsError, MissingPermission: unknown is not there
                found[name] = (False, f"could not be read {where}: {err}")
                return found[name]
        else:
            where = f"in the {environment} secret store"
            has = store.secrets.stage_version(environment, name, AWSCURRENT) is not None
        found[name] = (has, f"has a current value {where}" if has else f"has no {AWSCURRENT} value {where}")
        return found[name]

    return [
        RequiredSecret(service, name, *current(name))
        for service in sorted(fleet.services)
        for name in secrets_used(fleet, environment, service)
    ]


_STATUS_WORDS = {
    ReleaseStatus.PINNED: "is pinned, not verified yet",
    ReleaseStatus.VERIFIED: "was verified",
    ReleaseStatus.FAILED: "failed",
    ReleaseStatus.ROLLED_BACK: "was rolled back",
}


def _version_seen(runtime: FleetControl, store: Store, version: str) -> list[VersionSeen]:
    """The image each service's release of ``version`` would use (aws), or what a local
    environment can say; then each service's newest release of ``version`` here, if any."""
    environment = runtime.environment
    if isinstance(runtime, AwsFleetRuntime):
        seen = versions_on_aws(runtime.backends, runtime.clients, version)
    else:
        seen = [
            VersionSeen(
                "",
                True,
                f"{version} is a valid version; a local environment has no image to look for "
                "(each service's command runs with it as {version})",
            )
        ]
    for service in sorted(runtime.fleet.services):
        release = next(
            (
                r
                for r in store.releases.list(environment=environment, service=service)
                if r.version == version
            ),
            None,
        )
        if release is None:
            continue
        failed = release.status in (ReleaseStatus.FAILED, ReleaseStatus.ROLLED_BACK)
        detail = f"release #{release.number} of {version} here {_STATUS_WORDS[release.status]}" + (
            ": deploying it again may fail the same way" if failed else ""
        )
        seen.append(VersionSeen(service, True, detail, warn=failed))
    return seen
