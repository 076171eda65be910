"""The control plane's backup schedule on a fake clock: a SQLite datastore backed up when due,
verified, its old scheduled backups deleted; a schedule missed while down runs once; base
backups of a PostgreSQL on a schedule, with the WAL archive kept to what the oldest one needs."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from fleetops.control.backup_scheduler import BackupScheduler
from fleetops.control.environments import Environments
from fleetops.ops.backups.wal_retention import segment_name, start_lsn
from fleetops.providers.local.datastores import LocalDatastore, LocalDatastores
from fleetops.providers.local.pg_template import WAL_SEGMENT_MB
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.waiting import wait_until

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  api:
    run: {command: "{python} api.py"}
    datastores: [db]
datastores:
  db:
    kind: sqlite
    connection: sqlite:///db.sqlite
    backup: {every: 1h, keep: 2}
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path) as opened:
        yield opened


@pytest.fixture
def scheduler(store: Store, tmp_path: Path) -> BackupScheduler:
    fleet = load_fleet_text(FLEET)
    runtime = InMemoryFleetRuntime(fleet, "dev")
    runtime.datastores = LocalDatastores(
        [LocalDatastore("db", "sqlite")], tmp_path / "envs" / "dev" / "datastores"
    )
    runtime.datastores.start()
    with sqlite3.connect(runtime.datastores.sqlite_file("db")) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
        db.executemany("INSERT INTO orders VALUES (?)", [(1,), (2,), (3,)])
    db.close()
    environments = Environments(fleet)
    environments.put(runtime)
    return BackupScheduler(store, environments, clock=FakeClock(T0), interval_s=60)


def _ids(store: Store) -> list[str]:
    return [b.backup_id for b in store.backups.list()]


def test_a_due_backup_is_taken_verified_and_the_oldest_beyond_keep_deleted(
    scheduler: BackupScheduler, store: Store
) -> None:
    clock = scheduler.clock
    assert isinstance(clock, FakeClock)
    first = scheduler.step()[0].taken
    assert first is not None
    assert (first.tag, first.verify_status, first.contents) == ("scheduled", "verified", {"orders": 3})
    asyncio.run(clock.advance(30 * 60))
    assert [look.taken for look in scheduler.step()] == [None]
    taken = []
    for seconds in (30 * 60, 3600):
        asyncio.run(clock.advance(seconds))
        look = scheduler.step()[0]
        assert look.taken is not None
        taken.append(look.taken.backup_id)
    assert look.deleted == (first.backup_id,)
    assert _ids(store) == list(reversed(taken))
    assert not Path(first.location).exists()


def test_a_schedule_missed_while_down_runs_once(scheduler: BackupScheduler, store: Store) -> None:
    clock = scheduler.clock
    assert isinstance(clock, FakeClock)
    scheduler.step()
    asyncio.run(clock.advance(10 * 3600))
    assert [look.taken is not None for look in scheduler.step()] == [True]
    assert [look.taken for look in scheduler.step()] == [None]
    assert len(_ids(store)) == 2


def test_the_schedule_looks_at_start_then_every_interval_of_its_clock(
    scheduler: BackupScheduler, store: Store
) -> None:
    clock = scheduler.clock
    assert isinstance(clock, FakeClock)
    scheduler.interval_s = 3600

    async def looked(backups: int) -> int:
        # A look has ended when the schedule sleeps again (on the fake clock) after it.
        while clock.pending == 0 or len(_ids(store)) < backups:
            await asyncio.sleep(0.01)
        return len(_ids(store))

    async def scenario() -> list[int]:
        task = asyncio.create_task(scheduler.run())
        try:
            counts = [await asyncio.wait_for(looked(1), 60)]
            await clock.advance(3600)
            counts.append(await asyncio.wait_for(looked(2), 60))
            return counts
        finally:
            task.cancel()

    assert asyncio.run(scenario()) == [1, 2]


BASE_FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  api:
    run: {command: "{python} api.py"}
    datastores: [db]
datastores:
  db:
    kind: postgres
    connection: postgresql://shop@localhost:5432/shop
    backup: {every: 1h, keep: 1, kind: base}
"""


def _archive_a_segment(stores: LocalDatastores) -> str:
    """A commit, a WAL switch, and the segment it ended archived: that segment's name."""
    with psycopg.connect(stores.url("db"), autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT txid_current()")
        row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
        assert row is not None
        segment = str(row[0])

        def archived() -> bool:
            found = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()
            return found is not None and str(found[0] or "")[:24] >= segment

        assert wait_until(archived, timeout=60, what=f"{segment} archived")
    return segment


def test_base_backups_on_a_schedule_and_the_wal_before_the_oldest_kept_one_deleted(
    store: Store, tmp_path: Path
) -> None:
    fleet = load_fleet_text(BASE_FLEET)
    runtime = InMemoryFleetRuntime(fleet, "dev")
    stores = LocalDatastores(
        [LocalDatastore("db", "postgres", user="shop", database="shop")],
        tmp_path / "envs" / "dev" / "datastores",
    )
    runtime.datastores = stores
    stores.start()
    try:
        environments = Environments(fleet)
        environments.put(runtime)
        clock = FakeClock(T0)
        scheduler = BackupScheduler(store, environments, clock=clock, interval_s=60)
        before = _archive_a_segment(stores)  # archived before any base backup: never replayed
        first = scheduler.step()[0]
        assert first.taken is not None
        assert (first.taken.tool, first.taken.verify_status, first.pruned_wal) == (
            "pg_basebackup",
            "verified",
            (before,),
        )

        after_first = _archive_a_segment(stores)
        asyncio.run(clock.advance(3600))
        second = scheduler.step()[0]
        assert second.taken is not None and second.taken.verify_status == "verified"
        assert second.deleted == (first.taken.backup_id,)  # keep: 1
        start = start_lsn(second.taken.source_position)
        assert start is not None
        cutoff = segment_name(start, timeline=1, segment_size=WAL_SEGMENT_MB * 1024 * 1024)
        left = sorted(p.name for p in stores.wal_archive("db").iterdir())
        assert after_first in second.pruned_wal
        assert all(name[8:24] < cutoff[8:24] for name in second.pruned_wal)
        assert [n for n in left if n[8:24] < cutoff[8:24] and len(n) == 24] == []
        assert cutoff in left  # where a restore from the kept base backup starts replaying
        assert scheduler.step()[0].pruned_wal == ()
    finally:
        stores.stop()
