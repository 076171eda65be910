"""A drill's report: what it measured, against the fleet file's targets.

RTO is the time from the outage's start to the affected services being healthy again; RPO is
the data lost, the outage's start minus the newest heartbeat stamp the restore left (when none
survived, the backup predates the heartbeat: its time stands in, and the report says so). A
figure not measured (a drill that failed before it) is None and meets no target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fleetops.spec.durations import format_duration
from fleetops.spec.resources import Drills

MET = "met"
TARGET_MISSED = "target_missed"
FAILED = "failed"


@dataclass(frozen=True)
class ClientCounts:
    """What the steady client saw during the drill."""

    sent: int
    failed: int
    first_failure: datetime | None
    last_failure: datetime | None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "sent": self.sent,
            "failed": self.failed,
            "first_failure": _iso(self.first_failure),
            "last_failure": _iso(self.last_failure),
        }


@dataclass(frozen=True)
class Measured:
    """The instants a drill recorded (None: not reached)."""

    outage_at: datetime | None
    healthy_at: datetime | None
    newest_stamp: datetime | None = None
    """The newest heartbeat stamp after the restore (datastore-loss only)."""
    backup_taken_at: datetime | None = None
    """When the restored backup was taken (datastore-loss only)."""

    @property
    def rto(self) -> timedelta | None:
        """Outage start to healthy."""
        if self.outage_at is None or self.healthy_at is None:
            return None
        return self.healthy_at - self.outage_at

    @property
    def rpo(self) -> timedelta | None:
        """Outage start minus the newest surviving stamp (else the backup's time)."""
        if self.outage_at is None or self.healthy_at is None:
            return None
        newest = self.newest_stamp or self.backup_taken_at
        return None if newest is None else max(self.outage_at - newest, timedelta(0))


def build_report(
    measured: Measured,
    targets: Drills,
    *,
    measures_rpo: bool,
    client: ClientCounts | None,
    failure: str | None = None,
) -> dict[str, Any]:
    """The report's figures, each against its target, and the outcome: ``failed`` when the drill
    did not complete (``failure`` says why), else ``target_missed`` when a figure is above its
    target, else ``met``. ``measures_rpo``: whether the scenario loses data (datastore-loss)."""
    figures: dict[str, Any] = {"rto": _figure(measured.rto, targets.rto)}
    if measures_rpo:
        figures["rpo"] = _figure(measured.rpo, targets.rpo)
        figures["rpo"]["from"] = "heartbeat" if measured.newest_stamp is not None else "backup time"
    if failure is not None:
        outcome = FAILED
    elif all(f["met"] for f in figures.values()):
        outcome = MET
    else:
        outcome = TARGET_MISSED
    return {
        "outcome": outcome,
        "failure": failure,
        "outage_at": _iso(measured.outage_at),
        "healthy_at": _iso(measured.healthy_at),
        "newest_stamp": _iso(measured.newest_stamp),
        "backup_taken_at": _iso(measured.backup_taken_at),
        **figures,
        "client": None if client is None else client.to_json(),
        "summary": summary(figures, outcome, failure),
    }


def _figure(value: timedelta | None, target: timedelta) -> dict[str, Any]:
    seconds = None if value is None else round(value.total_seconds(), 3)
    return {
        "seconds": seconds,
        "target_seconds": target.total_seconds(),
        "target": format_duration(target),
        "met": value is not None and value <= target,
    }


def summary(figures: dict[str, Any], outcome: str, failure: str | None) -> str:
    """``RTO 23.4s (target 15m): met; RPO 41.2s (target 1h): met``."""
    parts = []
    for name, figure in figures.items():
        value = "not measured" if figure["seconds"] is None else f"{figure['seconds']:.1f}s"
        verdict = "met" if figure["met"] else "MISSED"
        parts.append(f"{name.upper()} {value} (target {figure['target']}): {verdict}")
    text = "; ".join(parts)
    if outcome == FAILED:
        return f"drill failed: {failure}; {text}"
    return text


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
