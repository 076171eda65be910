"""When a scheduled backup is due, and what retention deletes (never the newest verified one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.ops.backups.schedule import SCHEDULED, due, expired
from fleetops.store.backups import Backup

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _backup(hours: int, *, status: str | None = "verified", tag: str | None = SCHEDULED) -> Backup:
    return Backup(
        backup_id=f"bk-{hours:02d}",
        environment="dev",
        datastore="db",
        kind="sqlite",
        created_at=T0 + timedelta(hours=hours),
        duration_ms=1,
        location=f"/nowhere/bk-{hours:02d}.sqlite",
        size_bytes=1,
        sha256="0" * 64,
        tool="t",
        tool_version="1",
        source_position="time:x",
        contents={},
        verify_status=status,
        tag=tag,
    )


def test_due_when_none_yet_or_the_newest_is_an_interval_old() -> None:
    hour = timedelta(hours=1)
    assert due(None, hour, T0)
    assert not due(T0, hour, T0 + timedelta(minutes=59))
    assert due(T0, hour, T0 + hour)


def test_keep_deletes_the_oldest_scheduled_backups_only() -> None:
    backups = [_backup(0), _backup(1, tag=None), _backup(2), _backup(3), _backup(4, tag="pre-restore")]
    assert [b.backup_id for b in expired(backups, keep=2, retention=None, now=T0)] == ["bk-00"]


def test_retention_deletes_those_older_than_it() -> None:
    backups = [_backup(0), _backup(1), _backup(2)]
    now = T0 + timedelta(hours=3)
    assert [b.backup_id for b in expired(backups, keep=None, retention=timedelta(hours=2), now=now)] == [
        "bk-00"
    ]


def test_the_newest_verified_backup_is_never_deleted() -> None:
    backups = [_backup(0), _backup(1), _backup(2, status="failed"), _backup(3, status=None)]
    assert [b.backup_id for b in expired(backups, keep=1, retention=None, now=T0)] == ["bk-00", "bk-02"]
