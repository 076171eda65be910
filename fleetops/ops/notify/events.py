"""What a notification is about: a deployment event (started, succeeded, failed, rolled back), an
alarm's state change (``alarm.alarm``, ``alarm.ok``: operation ``alarm``), or another operation's
(``incident.opened``, ``maintenance.started``, ``backup.completed``...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from fleetops.spec.levels import Level
from fleetops.spec.resources import EVENTS


class EventKind(StrEnum):
    """How far a deployment (or rollback, or promotion) got; or the state an alarm went into."""

    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    ALARM = "alarm"
    OK = "ok"
    ENDED = "ended"
    """A maintenance window ended (operation ``maintenance``; ``started`` opens one)."""
    COMPLETED = "completed"
    """A backup was taken (``backup.completed``)."""
    VERIFY_FAILED = "verify_failed"
    """A backup failed its verification by restore (``backup.verify_failed``)."""
    POSTED = "posted"
    """An announcement (``fleetops notify``): operation ``announcement``."""
    ROTATED = "rotated"
    ROTATION_FAILED = "rotation_failed"
    OPENED = "opened"
    """An incident was opened (``incident.opened``); ``updated`` and ``resolved`` follow."""
    UPDATED = "updated"
    RESOLVED = "resolved"
    TARGET_MISSED = "target_missed"
    """A drill measured an RTO or RPO above its target (``drill.target_missed``)."""


_LEVELS = {
    EventKind.FAILED: Level.ERROR,
    EventKind.ROLLED_BACK: Level.ERROR,
    EventKind.ALARM: Level.CRITICAL,
    EventKind.VERIFY_FAILED: Level.ERROR,
    EventKind.TARGET_MISSED: Level.ERROR,
}


@dataclass(frozen=True)
class DeploymentEvent:
    """One event of one execution of a deployment runbook."""

    kind: EventKind
    environment: str
    execution_id: str
    at: datetime
    """When it happened (aware)."""
    services: tuple[str, ...] = ()
    versions: Mapping[str, str] = field(default_factory=dict)
    """service -> version deployed (or rolled back to)."""
    duration: timedelta | None = None
    """How long the execution ran, for events that end it."""
    reason: str | None = None
    """Why it failed or was rolled back (the failing state's error and cause)."""
    operation: str = "deploy"
    """The runbook: ``deploy``, ``rollback`` or ``promote`` (or ``alarm``, ``announcement``); with
    ``kind`` it names the event."""
    level: Level | None = None
    """How urgent it is; None: by its kind (failed and rolled back: error, alarm: critical, else info)."""
    subject: str | None = None
    """What it is about, in words, shown in the title instead of the execution id (an
    incident's ``SEV1 #3 checkout is down``)."""
    lines: tuple[str, ...] = ()
    """More lines under the title (an incident's status and message)."""
    alert_key: str | None = None
    """Events of one subject share it (an incident's opening, updates and resolution): a pager
    keeps one alert for them, and the ``resolved`` event resolves it. None: the event's ``key``."""

    @property
    def severity(self) -> Level:
        """The level channels route on."""
        return self.level if self.level is not None else _LEVELS.get(self.kind, Level.INFO)

    def __post_init__(self) -> None:
        if self.name not in EVENTS:
            raise ValueError(
                f"{self.name!r} is not a notification event (known: {', '.join(sorted(EVENTS))})"
            )
        if self.at.tzinfo is None:
            raise ValueError(f"event time {self.at.isoformat()} must be timezone-aware")

    @property
    def name(self) -> str:
        """The name channels subscribe to: ``deploy.failed``."""
        return f"{self.operation}.{self.kind}"

    @property
    def key(self) -> str:
        """What makes two events the same for deduplication: name, environment and execution."""
        return f"{self.name}/{self.environment}/{self.execution_id}"


def routed(levels: list[Level], event: DeploymentEvent) -> bool:
    """Whether a channel taking ``levels`` takes ``event``."""
    return event.severity in levels


def subscribed(patterns: list[str], event_name: str) -> bool:
    """Whether a channel with these ``events`` patterns (``*``, ``deploy.*``, ``deploy.failed``) wants it."""
    prefix = event_name.split(".", 1)[0]
    return any(p in ("*", event_name) or p == f"{prefix}.*" for p in patterns)
