"""The backup catalog: entries kept as recorded, newest first, verification recorded on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.store import Store
from fleetops.store.backups import Backup

T0 = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def _backup(backup_id: str, at: datetime, datastore: str = "orders-db") -> Backup:
    return Backup(
        backup_id=backup_id,
        environment="dev",
        datastore=datastore,
        kind="postgres",
        created_at=at,
        duration_ms=120,
        location=f"/state/backups/{datastore}/{backup_id}.dump",
        size_bytes=4096,
        sha256="ab" * 32,
        tool="pg_dump -Fc",
        tool_version="pg_dump (PostgreSQL) 15.18",
        source_position="lsn:0/16B3748",
        contents={"public.orders": 3, "billing.invoices": 7},
    )


def test_entries_come_back_as_recorded_newest_first(store: Store) -> None:
    first = store.backups.add(_backup("bk-1", T0))
    second = store.backups.add(_backup("bk-2", T0 + timedelta(hours=1)))
    store.backups.add(_backup("bk-3", T0 + timedelta(hours=2), datastore="cache"))
    assert store.backups.list(datastore="orders-db") == [second, first]
    assert store.backups.get("bk-1") == first
    assert store.backups.get("bk-none") is None


def test_a_verification_is_recorded_on_the_entry(store: Store) -> None:
    taken = store.backups.add(_backup("bk-1", T0))
    at = T0 + timedelta(minutes=5)
    recorded = store.backups.record_verification(
        taken, status="failed", at=at, duration_ms=900, detail="checksum mismatch"
    )
    assert store.backups.get("bk-1") == recorded
    assert (recorded.verify_status, recorded.verified_at, recorded.verify_ms, recorded.verify_detail) == (
        "failed",
        at,
        900,
        "checksum mismatch",
    )
