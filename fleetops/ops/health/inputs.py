"""What the health checks read, as narrow values the control plane fills from what exists
(the fleet runtime's status, the alarms, the locks and maintenance stores, the executions, the
load balancer's access log); the checks themselves read nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ServiceCounts:
    """A service's desired count, its healthy instances, and why the others are not healthy."""

    name: str
    desired: int
    healthy: int
    unhealthy: tuple[str, ...] = ()
    """One line per instance not in service and healthy: ``i-3 unhealthy: connection refused``."""


@dataclass(frozen=True)
class AlarmInAlarm:
    """An alarm in the ALARM state."""

    name: str
    service: str
    reason: str


@dataclass(frozen=True)
class HeldLock:
    """The environment's deployment lock, held."""

    owner: str
    reason: str
    acquired_at: datetime


@dataclass(frozen=True)
class ExecutionSeen:
    """A runbook execution started in the window."""

    name: str
    status: str
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED."""
    start_date: datetime
    error: str | None = None


@dataclass(frozen=True)
class OpenWindow:
    """A maintenance window open now."""

    reason: str
    started_by: str
    ends_at: datetime


@dataclass(frozen=True)
class TrafficWindow:
    """The access log over one window: requests, 5XX answers, p95 response time."""

    requests: int
    errors: int
    p95_ms: float | None
    """None when no request was answered by a target."""

    @property
    def error_rate(self) -> float:
        """5XX answers per request (0 without requests)."""
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class DatastoreSeen:
    """One datastore of the environment as its runtime probed it (PostgreSQL ``SELECT 1``, Redis
    ``PING``, a SQLite file)."""

    name: str
    kind: str
    healthy: bool
    detail: str


@dataclass(frozen=True)
class SecretDue:
    """A secret with a rotation schedule: when its next rotation is due."""

    name: str
    every: timedelta
    due: datetime | None
    """None: no AWSCURRENT version yet (nothing to rotate)."""


@dataclass(frozen=True)
class BackupsSeen:
    """A datastore with a backup schedule, and its catalog's newest entries."""

    datastore: str
    every: timedelta
    verify: bool
    """Whether the schedule verifies each backup by restore (``backup.verify``)."""
    newest: datetime | None
    """When its newest backup was taken; None: never."""
    newest_verified: datetime | None
    """When its newest verified backup was taken; None: none verified."""
    last_verify_failed: str | None = None
    """The detail of the newest verification, when it failed."""
    since: datetime | None = None
    """Since when the environment runs (its first release): a datastore never backed up is only
    late once its first interval has passed; None: not known."""


@dataclass(frozen=True)
class OpenIncident:
    """An incident of the environment not resolved yet (``fleetops incident``)."""

    id: int
    severity: str
    title: str
    status: str
    opened_at: datetime


@dataclass(frozen=True)
class RequiredSecret:
    """A secret a service of the environment gets (its ``secrets:``, its datastores' passwords),
    and whether the environment's secret store has a current (AWSCURRENT) value of it."""

    service: str
    secret: str
    current: bool
    detail: str
    """Where it was looked for, and what was found there (never a value)."""


@dataclass(frozen=True)
class VersionSeen:
    """One finding about the version to deploy for one service: ``deployable`` True (ok), False
    (fail: a deployment would not get it), None (not checked, said in ``detail``)."""

    service: str
    """Empty: a finding about every service."""
    deployable: bool | None
    detail: str
    warn: bool = False
    """A finding that does not stop a deployment but should be read first (a release of this
    version failed here before)."""
