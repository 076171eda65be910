"""The health checks of what the services' data depends on: datastores answering, secrets rotated
on schedule, backups taken and verified on schedule. Each alone: outcome and exact evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.ops.health import (
    BackupsSeen,
    CheckResult,
    DatastoreSeen,
    Outcome,
    SecretDue,
    check_backups,
    check_datastores,
    check_secrets,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
GRACE = timedelta(minutes=15)


def _backups(**changes: object) -> list[CheckResult]:
    seen = {
        "datastore": "orders-db",
        "every": HOUR,
        "verify": True,
        "newest": NOW - timedelta(minutes=30),
        "newest_verified": NOW - timedelta(minutes=30),
        "since": NOW - timedelta(days=3),
    }
    return check_backups([BackupsSeen(**{**seen, **changes})], now=NOW, grace=GRACE)  # type: ignore[arg-type]


def test_a_datastore_that_does_not_answer_fails_and_one_that_does_is_ok() -> None:
    assert check_datastores(
        [
            DatastoreSeen("orders-db", "postgres", False, "connection refused"),
            DatastoreSeen("cache", "redis", True, "PONG, 3 clients"),
        ]
    ) == [
        CheckResult("datastores", Outcome.FAIL, "orders-db (postgres): connection refused"),
        CheckResult("datastores", Outcome.OK, "cache (redis): PONG, 3 clients"),
    ]


def test_no_datastores_is_ok() -> None:
    assert check_datastores([]) == [CheckResult("datastores", Outcome.OK, "no datastores")]


def test_an_overdue_rotation_warns_by_how_much() -> None:
    secrets = [
        SecretDue("db-password", timedelta(days=30), NOW - timedelta(hours=5)),
        SecretDue("api-key", timedelta(days=7), NOW + timedelta(days=2)),
    ]
    assert check_secrets(secrets, now=NOW) == [
        CheckResult("secrets", Outcome.WARN, "db-password: rotation overdue by 5h 0m (every 30d)")
    ]


def test_rotations_on_schedule_are_ok_naming_the_next() -> None:
    secrets = [
        SecretDue("db-password", timedelta(days=30), NOW + timedelta(hours=30)),
        SecretDue("api-key", timedelta(days=7), NOW + timedelta(hours=2)),
        SecretDue("never-set", timedelta(days=7), None),
    ]
    assert check_secrets(secrets, now=NOW) == [
        CheckResult("secrets", Outcome.OK, "no rotation overdue; next: api-key in 2h 0m")
    ]


def test_a_fresh_verified_backup_is_ok() -> None:
    assert _backups() == [
        CheckResult("backups", Outcome.OK, "orders-db: newest backup 30m 0s old (every 1h)")
    ]


def test_a_failed_verification_fails() -> None:
    assert _backups(last_verify_failed="rows differ: orders 10 != 12") == [
        CheckResult(
            "backups", Outcome.FAIL, "orders-db: newest verification failed: rows differ: orders 10 != 12"
        )
    ]


def test_a_backup_older_than_its_interval_and_grace_warns() -> None:
    assert _backups(newest=NOW - timedelta(minutes=80)) == [
        CheckResult("backups", Outcome.WARN, "orders-db: newest backup 1h 20m old (every 1h)")
    ]


def test_an_unverified_backup_warns_when_the_schedule_verifies() -> None:
    assert _backups(newest_verified=None) == [
        CheckResult("backups", Outcome.WARN, "orders-db: newest verified backup: none (every 1h, verified)")
    ]
    assert _backups(newest_verified=None, verify=False)[0].outcome is Outcome.OK


def test_never_backed_up_warns_only_once_the_first_interval_passed() -> None:
    assert _backups(newest=None, newest_verified=None) == [
        CheckResult("backups", Outcome.WARN, "orders-db: no backup since 2026-11-19 09:00Z (every 1h)")
    ]
    assert _backups(newest=None, newest_verified=None, since=NOW - timedelta(minutes=10)) == [
        CheckResult("backups", Outcome.OK, "orders-db: no backup yet, first due within 1h 15m (every 1h)")
    ]


def test_no_backup_schedule_is_ok() -> None:
    assert check_backups([], now=NOW, grace=GRACE) == [
        CheckResult("backups", Outcome.OK, "no datastore with a backup schedule")
    ]
