"""Backups taken with each engine's tool and verified by a restore into a scratch server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from fleetops.errors import OperationFailed
from fleetops.ops.backups.pitr import BASE_SUFFIX, take_base_backup
from fleetops.ops.backups.restore import live_contents, restore_into
from fleetops.ops.backups.take import take_backup
from fleetops.ops.backups.verify import sha256_of, verify_backup
from fleetops.ops.backups.verify_base import verify_base_backup
from fleetops.providers.local.datastore_logins import revoke_login, set_login
from fleetops.providers.local.datastores import LocalDatastore, LocalDatastores, Login
from fleetops.providers.local.redis_server import redis_command

ROTATED: dict[str, tuple[str | None, str]] = {}
"""Datastore -> its login after a rotation (the secrets store's AWSCURRENT, as a control plane
hands it to ``LocalDatastores``); none until a test rotates."""


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDatastores]:
    """A PostgreSQL, a Redis and a SQLite datastore, with known contents."""
    folder = tmp_path_factory.mktemp("stores")
    started = LocalDatastores(
        [
            LocalDatastore("orders-db", "postgres", user="orders", database="orders"),
            LocalDatastore("cache", "redis"),
            LocalDatastore("ledger", "sqlite"),
        ],
        folder / "datastores",
        logins=ROTATED.get,
    )
    started.start()
    try:
        with psycopg.connect(started.url("orders-db")) as conn:
            conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, item text)")
            conn.execute("INSERT INTO orders (item) SELECT 'x' || n FROM generate_series(1, 1234) n")
            conn.execute("CREATE SCHEMA billing")
            conn.execute("CREATE TABLE billing.invoices (n int)")
            conn.execute("INSERT INTO billing.invoices SELECT generate_series(1, 7)")
        port, password = started.ports["cache"], started.password("cache")
        for n in range(25):
            redis_command(port, password, "SET", f"k{n}", str(n))
        with sqlite3.connect(started.sqlite_file("ledger")) as lite:
            lite.execute("CREATE TABLE entries (n int)")
            lite.executemany("INSERT INTO entries VALUES (?)", [(n,) for n in range(40)])
        lite.close()
        yield started
    finally:
        started.stop()


def test_a_postgres_backup_records_its_tables_rows_and_lsn_and_restores_them(
    stores: LocalDatastores, tmp_path: Path
) -> None:
    taken = take_backup(stores, "orders-db", tmp_path / "b.dump")
    assert taken.contents == {"billing.invoices": 7, "public.orders": 1234}
    assert taken.tool == "pg_dump -Fc" and taken.tool_version.startswith("pg_dump (PostgreSQL) ")
    assert taken.source_position.startswith("lsn:")
    outcome = verify_backup("postgres", taken.path, sha256=sha256_of(taken.path), expected=taken.contents)
    assert (outcome.ok, outcome.counts) == (True, {"billing.invoices": 7, "public.orders": 1234})
    assert outcome.detail == "restored 2 tables, 1241 rows, as at backup time; pg_amcheck found no corruption"


def test_a_redis_backup_restores_its_keys(stores: LocalDatastores, tmp_path: Path) -> None:
    taken = take_backup(stores, "cache", tmp_path / "b.rdb")
    assert taken.contents == {"db0": 25}
    assert taken.source_position.startswith("offset:")
    outcome = verify_backup("redis", taken.path, sha256=sha256_of(taken.path), expected=taken.contents)
    assert (outcome.ok, outcome.counts) == (True, {"db0": 25})


def test_a_sqlite_backup_restores_its_rows(stores: LocalDatastores, tmp_path: Path) -> None:
    taken = take_backup(stores, "ledger", tmp_path / "b.sqlite")
    assert taken.contents == {"entries": 40}
    assert taken.tool == "sqlite3 online backup API" and taken.source_position.startswith("time:")
    outcome = verify_backup("sqlite", taken.path, sha256=sha256_of(taken.path), expected=taken.contents)
    assert (outcome.ok, outcome.counts) == (True, {"entries": 40})
    assert outcome.detail == "restored 1 tables, 40 rows, as at backup time; integrity_check ok"


def test_a_flipped_byte_is_detected_and_never_restored(stores: LocalDatastores, tmp_path: Path) -> None:
    taken = take_backup(stores, "orders-db", tmp_path / "b.dump")
    recorded = sha256_of(taken.path)
    data = bytearray(taken.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    taken.path.write_bytes(bytes(data))
    outcome = verify_backup("postgres", taken.path, sha256=recorded, expected=taken.contents)
    assert (outcome.ok, outcome.restore_ms, outcome.counts) == (False, 0, {})
    assert outcome.detail == (
        f"checksum mismatch: the file's sha256 is {sha256_of(taken.path)}, the catalog's {recorded}; "
        "the file is damaged and was not restored"
    )


def test_a_restore_showing_other_counts_fails(stores: LocalDatastores, tmp_path: Path) -> None:
    taken = take_backup(stores, "orders-db", tmp_path / "b.dump")
    expected = {**taken.contents, "public.orders": 1235}
    outcome = verify_backup("postgres", taken.path, sha256=sha256_of(taken.path), expected=expected)
    assert not outcome.ok
    assert outcome.detail == "restored copy differs: public.orders: 1234 rows restored, 1235 at backup time"


def test_after_a_rotation_a_restore_logs_in_as_the_current_user(
    stores: LocalDatastores, tmp_path: Path
) -> None:
    # What a rotation does to PostgreSQL: the alternate user gets the new password, becomes the
    # current login, and the original user's password is revoked.
    old = stores.login("orders-db")
    new = Login("orders_clone", "rotated-password-1")
    set_login(stores, "orders-db", new, admin=old)
    ROTATED["orders-db"] = (new.user, new.password)
    revoke_login(stores, "orders-db", old, admin=new)
    with pytest.raises(psycopg.OperationalError, match='password authentication failed for user "orders"'):
        psycopg.connect(stores.url("orders-db", old), connect_timeout=5).close()
    taken = take_backup(stores, "orders-db", tmp_path / "b.dump")
    with psycopg.connect(stores.url("orders-db")) as conn:
        conn.execute("INSERT INTO orders (item) VALUES ('after the backup')")

    restore_into(stores, "orders-db", taken.path)

    expected = {"billing.invoices": 7, "public.orders": 1234}
    assert live_contents(stores, "orders-db") == taken.contents == expected


def test_a_redis_restore_puts_back_the_keys_of_the_backup(stores: LocalDatastores, tmp_path: Path) -> None:
    port, password = stores.ports["cache"], stores.password("cache")
    redis_command(port, password, "SET", "before", "1")
    taken = take_backup(stores, "cache", tmp_path / "b.rdb")
    redis_command(port, password, "SET", "after", "2")
    redis_command(port, password, "DEL", "k0")

    restore_into(stores, "cache", taken.path)

    assert live_contents(stores, "cache") == taken.contents
    assert (
        redis_command(port, password, "GET", "before"),
        redis_command(port, password, "GET", "after"),
    ) == (
        "1",
        None,
    )
    assert redis_command(port, password, "GET", "k0") == "0"


def test_a_base_backup_is_verified_by_starting_a_copy_and_a_flipped_byte_is_detected(
    stores: LocalDatastores, tmp_path: Path
) -> None:
    base = take_base_backup(stores, "orders-db", tmp_path / f"b{BASE_SUFFIX}")
    store = stores.stores["orders-db"]
    recorded = sha256_of(base.path)

    outcome = verify_base_backup(
        base.path, sha256=recorded, tables=base.contents, user=store.user, database=store.database
    )

    assert (outcome.ok, outcome.counts) == (True, base.contents)
    assert outcome.detail.startswith("a copy started and replayed its WAL to a consistent state: ")
    data = bytearray(base.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    base.path.write_bytes(bytes(data))
    damaged = verify_base_backup(
        base.path, sha256=recorded, tables=base.contents, user=store.user, database=store.database
    )
    assert (damaged.ok, damaged.restore_ms, damaged.detail.startswith("checksum mismatch: ")) == (
        False,
        0,
        True,
    )


def test_a_base_backup_of_a_server_without_wal_archiving_is_refused(
    stores: LocalDatastores, tmp_path: Path
) -> None:
    # As a sandbox started by an older fleetops runs: postgresql.auto.conf is read last.
    with psycopg.connect(stores.url("orders-db"), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET archive_mode = off")
    stores.restart("orders-db")
    try:
        with pytest.raises(OperationFailed, match="'orders-db' runs without WAL archiving"):
            take_base_backup(stores, "orders-db", tmp_path / f"b{BASE_SUFFIX}")
        assert list(tmp_path.iterdir()) == []
    finally:
        with psycopg.connect(stores.url("orders-db"), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM RESET archive_mode")
        stores.restart("orders-db")
