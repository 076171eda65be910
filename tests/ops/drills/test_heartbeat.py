"""Heartbeat stamps: a PostgreSQL datastore is stamped through one kept connection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from fleetops.ops.drills.heartbeat import HEARTBEAT_TABLE, Stamper, newest_stamp
from fleetops.providers.local.datastores import LocalDatastore, LocalDatastores
from fleetops.testing.waiting import wait_until

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDatastores]:
    folder: Path = tmp_path_factory.mktemp("heartbeat")
    started = LocalDatastores(
        [
            LocalDatastore("orders-db", "postgres", user="orders", database="orders"),
            LocalDatastore("ledger", "sqlite"),
        ],
        folder / "datastores",
    )
    started.start()
    try:
        yield started
    finally:
        started.stop()


def _stampers(stores: LocalDatastores) -> list[int]:
    """Backends of orders-db that last ran the stamp."""
    with psycopg.connect(stores.url("orders-db"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid()",
            (f"INSERT INTO {HEARTBEAT_TABLE}%",),
        ).fetchall()
    return sorted(row[0] for row in rows)


def test_stamps_of_postgres_go_through_one_kept_connection(stores: LocalDatastores) -> None:
    stamper = Stamper()
    try:
        stamper.stamp("orders", stores, "orders-db", T0)
        first = _stampers(stores)
        stamper.stamp("orders", stores, "orders-db", T0 + timedelta(seconds=1))
        assert (len(first), _stampers(stores), newest_stamp(stores, "orders-db")) == (
            1,
            first,
            T0 + timedelta(seconds=1),
        )
    finally:
        stamper.close()
    wait_until(lambda: _stampers(stores) == [], timeout=10, what="the stamper's connection closed")


def test_a_kept_connection_ended_by_the_server_is_replaced_within_the_same_stamp(
    stores: LocalDatastores,
) -> None:
    stamper = Stamper()
    try:
        stamper.stamp("orders", stores, "orders-db", T0)
        (ended,) = _stampers(stores)
        with psycopg.connect(stores.url("orders-db"), autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (ended,))
        stamper.stamp("orders", stores, "orders-db", T0 + timedelta(seconds=2))
        assert newest_stamp(stores, "orders-db") == T0 + timedelta(seconds=2)
        assert ended not in _stampers(stores)
    finally:
        stamper.close()


def test_keep_only_closes_the_connections_of_the_datastores_left_out(stores: LocalDatastores) -> None:
    stamper = Stamper()
    stamper.stamp("orders", stores, "orders-db", T0)
    stamper.stamp("ledger", stores, "ledger", T0 + timedelta(seconds=3))
    stamper.keep_only({"ledger"})
    wait_until(lambda: _stampers(stores) == [], timeout=10, what="orders-db's connection closed")
    assert newest_stamp(stores, "ledger") == T0 + timedelta(seconds=3)
