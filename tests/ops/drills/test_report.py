"""A drill's report: RTO and RPO from the instants it recorded, each against its target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.ops.drills.report import ClientCounts, Measured, build_report
from fleetops.spec.resources import Drills

T0 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
TARGETS = Drills.model_validate({"rto": "1m", "rpo": "30s"})


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_rto_and_rpo_within_their_targets_are_met() -> None:
    measured = Measured(
        outage_at=_at(0), healthy_at=_at(42.5), newest_stamp=_at(-12), backup_taken_at=_at(-11.4)
    )
    client = ClientCounts(sent=100, failed=7, first_failure=_at(0.1), last_failure=_at(40))
    report = build_report(measured, TARGETS, measures_rpo=True, client=client)
    assert report["outcome"] == "met"
    assert report["rto"] == {"seconds": 42.5, "target_seconds": 60.0, "target": "1m", "met": True}
    assert report["rpo"] == {
        "seconds": 12.0,
        "target_seconds": 30.0,
        "target": "30s",
        "met": True,
        "from": "heartbeat",
    }
    assert report["client"] == {
        "sent": 100,
        "failed": 7,
        "first_failure": _at(0.1).isoformat(),
        "last_failure": _at(40).isoformat(),
    }
    assert report["summary"] == "RTO 42.5s (target 1m): met; RPO 12.0s (target 30s): met"


def test_an_rpo_above_its_target_is_a_missed_target() -> None:
    measured = Measured(outage_at=_at(0), healthy_at=_at(5), newest_stamp=_at(-31))
    report = build_report(measured, TARGETS, measures_rpo=True, client=None)
    assert (report["outcome"], report["rto"]["met"], report["rpo"]["met"]) == ("target_missed", True, False)
    assert report["summary"] == "RTO 5.0s (target 1m): met; RPO 31.0s (target 30s): MISSED"


def test_without_a_surviving_stamp_the_backup_time_gives_the_rpo() -> None:
    measured = Measured(outage_at=_at(0), healthy_at=_at(5), newest_stamp=None, backup_taken_at=_at(-20))
    report = build_report(measured, TARGETS, measures_rpo=True, client=None)
    assert (report["rpo"]["seconds"], report["rpo"]["from"]) == (20.0, "backup time")


def test_a_drill_that_did_not_recover_failed_and_meets_nothing() -> None:
    measured = Measured(outage_at=_at(0), healthy_at=None)
    report = build_report(
        measured, TARGETS, measures_rpo=False, client=None, failure="fleetops.RestoreFailed: x"
    )
    assert report["outcome"] == "failed"
    assert report["rto"] == {"seconds": None, "target_seconds": 60.0, "target": "1m", "met": False}
    assert "rpo" not in report
    assert (
        report["summary"] == "drill failed: fleetops.RestoreFailed: x; RTO not measured (target 1m): MISSED"
    )
