"""The local sandbox's datastores: real PostgreSQL, Redis and SQLite in the state folder."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from fleetops.providers.local.datastores import (
    DatastoreUnavailable,
    LocalDatastore,
    LocalDatastores,
    datastore_password,
)
from fleetops.providers.local.process import group_alive, kill_leftovers
from fleetops.providers.local.provider import LocalProvider
from fleetops.providers.local.redis_server import redis_command
from fleetops.testing.waiting import wait_until

STORES = [
    LocalDatastore("orders-db", "postgres", user="orders", database="orders"),
    LocalDatastore("cache", "redis", db=2),
    LocalDatastore("ledger", "sqlite"),
]


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[LocalDatastores]:
    started = LocalDatastores(STORES, tmp_path / "datastores")
    started.start()
    try:
        yield started
    finally:
        started.stop()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_every_datastore_answers_its_health_probe(stores: LocalDatastores) -> None:
    health = {h.name: (h.kind, h.healthy, h.detail) for h in stores.health()}
    assert health == {
        "orders-db": ("postgres", True, "SELECT 1 answered"),
        "cache": ("redis", True, "PING answered PONG"),
        "ledger": ("sqlite", True, "SELECT 1 answered"),
    }


def test_the_urls_reach_the_servers_with_the_generated_password(stores: LocalDatastores) -> None:
    urls = stores.urls()
    password = stores.password("orders-db")
    assert urls["orders-db"] == f"postgresql://orders:{password}@127.0.0.1:{stores.ports['orders-db']}/orders"
    with psycopg.connect(urls["orders-db"]) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("orders", "orders")
    assert urls["cache"].endswith(f"@127.0.0.1:{stores.ports['cache']}/2")
    assert redis_command(stores.ports["cache"], stores.password("cache"), "PING") == "PONG"
    assert urls["ledger"] == f"sqlite:///{stores.home('ledger') / 'ledger.sqlite'}"


def test_postgres_refuses_a_wrong_password(stores: LocalDatastores) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host="127.0.0.1", port=stores.ports["orders-db"], user="orders", dbname="orders", password="wrong"
        )


def test_the_password_is_kept_private_and_stable(tmp_path: Path) -> None:
    first = datastore_password(tmp_path / "db")
    assert datastore_password(tmp_path / "db") == first
    assert stat.S_IMODE((tmp_path / "db" / "password").stat().st_mode) == 0o600
    assert len(first) == 32


def test_stop_leaves_no_server_and_a_restart_keeps_the_data(tmp_path: Path) -> None:
    stores = LocalDatastores(STORES, tmp_path / "datastores")
    stores.start()
    try:
        with psycopg.connect(stores.url("orders-db")) as conn:
            conn.execute("CREATE TABLE t (n int)")
            conn.execute("INSERT INTO t SELECT generate_series(1, 5)")
        with sqlite3.connect(stores.sqlite_file("ledger")) as lite:
            lite.execute("CREATE TABLE t (n int)")
            lite.execute("INSERT INTO t VALUES (1), (2)")
        pids = stores.pids()
        assert sorted(pids) == ["cache", "orders-db"]
    finally:
        stores.stop()
    assert wait_until(lambda: all(_gone(pid) for pid in pids.values()), timeout=10)
    assert stores.pids() == {}

    again = LocalDatastores(STORES, tmp_path / "datastores")
    again.start()
    try:
        with psycopg.connect(again.url("orders-db")) as conn:
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (5,)
        with sqlite3.connect(again.sqlite_file("ledger")) as lite:
            assert lite.execute("SELECT count(*) FROM t").fetchone() == (2,)
    finally:
        again.stop()


def test_mongodb_without_mongod_is_refused_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    stores = LocalDatastores([LocalDatastore("events", "mongodb")], tmp_path / "datastores")
    with pytest.raises(DatastoreUnavailable) as raised:
        stores.start()
    assert raised.value.message.startswith(
        "datastore 'events' is MongoDB and mongod is not installed (Debian has no package: install "
        "MongoDB from mongodb.com)"
    )
    assert not (tmp_path / "datastores").exists()


def test_servers_left_by_a_killed_control_plane_are_killed_from_their_pid_files(tmp_path: Path) -> None:
    stores = LocalDatastores(STORES, tmp_path / "datastores")
    provider = LocalProvider([], state_dir=tmp_path, datastores=stores)
    provider.start()
    try:
        pids = stores.pids()
        recorded = sorted(p.name for p in provider.pid_dir.glob("datastore-*.pid"))
        assert recorded == ["datastore-cache.pid", "datastore-orders-db.pid"]
        # What `fleetops down` does when the control plane is gone: kill what the pid files name
        # (HAProxy's too).
        assert set(pids.values()) <= set(kill_leftovers(provider.pid_dir))
        assert wait_until(lambda: not any(group_alive(pid) for pid in pids.values()), timeout=10)
    finally:
        provider.stop()
    assert list(provider.pid_dir.glob("datastore-*.pid")) == []
