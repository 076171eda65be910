"""New sandbox clusters are copies of a template made once per installation, user and database;
each copy has its own password, the template none."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from fleetops.providers.local.pg_server import PgServer, find_pg_bin_dir
from fleetops.providers.local.pg_template import cache_dir, cluster_template, new_cluster
from fleetops.providers.local.process import free_loopback_port


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module: its template is made once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cache(shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLEETOPS_CACHE_DIR", str(shared_cache))
    return shared_cache


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[PgServer]]:
    os.chmod(tmp_path, 0o755)  # the server's user (postgres, when root) reaches the folders
    made = [PgServer(bin_dir=find_pg_bin_dir(), folder=tmp_path / name) for name in ("one", "two")]
    yield made
    for server in made:
        server.stop()


def _login(port: int, password: str) -> list[tuple[object, ...]]:
    with psycopg.connect(
        host="127.0.0.1", port=port, user="orders", dbname="orders", password=password, connect_timeout=5
    ) as conn:
        return conn.execute("SELECT current_user, current_database()").fetchall()


def test_the_cache_is_fleetops_cache_dir_else_xdg_else_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETOPS_CACHE_DIR", "/c/fleetops-cache")
    assert cache_dir() == Path("/c/fleetops-cache")
    monkeypatch.delenv("FLEETOPS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/x")
    assert cache_dir() == Path("/x/fleetops")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "/home/ann")
    assert cache_dir() == Path("/home/ann/.cache/fleetops")


def test_two_clusters_from_one_template_each_take_only_their_own_password(
    cache: Path, servers: list[PgServer]
) -> None:
    one, two = servers
    new_cluster(one, user="orders", password="first-pw", database="orders")
    new_cluster(two, user="orders", password="second-pw", database="orders")
    assert [p.name for p in (cache / "postgres").iterdir() if p.is_dir()] == [
        cluster_template(one.bin_dir, "orders", "orders").parent.name
    ]
    ports = [free_loopback_port(), free_loopback_port()]
    one.start(ports[0])
    two.start(ports[1])
    assert _login(ports[0], "first-pw") == [("orders", "orders")]
    assert _login(ports[1], "second-pw") == [("orders", "orders")]
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _login(ports[0], "second-pw")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _login(ports[1], "first-pw")


def test_the_template_holds_no_password(cache: Path, servers: list[PgServer]) -> None:
    template = cluster_template(servers[0].bin_dir, "orders", "orders")
    # A server started on the template itself (never done by fleetops) lets nobody in over TCP.
    bare = PgServer(bin_dir=servers[0].bin_dir, folder=template.parent)
    port = free_loopback_port()
    bare.start(port)
    try:
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            _login(port, "orders")
    finally:
        bare.stop()


def test_concurrent_first_uses_make_one_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, servers: list[PgServer]
) -> None:
    cache = tmp_path / "fresh-cache"
    monkeypatch.setenv("FLEETOPS_CACHE_DIR", str(cache))
    errors: list[BaseException] = []

    def make(server: PgServer, password: str) -> None:
        try:
            new_cluster(server, user="orders", password=password, database="orders")
        except BaseException as err:  # reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=make, args=(s, f"pw-{i}")) for i, s in enumerate(servers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    key = cluster_template(servers[0].bin_dir, "orders", "orders").parent.name
    assert sorted(p.name for p in (cache / "postgres").iterdir()) == [key, f"{key}.lock"]
    assert all(server.initialised() for server in servers)


def test_without_a_cache_to_write_the_cluster_is_made_with_initdb_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, servers: list[PgServer]
) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("FLEETOPS_CACHE_DIR", str(tmp_path / "a-file" / "cache"))
    server = servers[0]
    new_cluster(server, user="orders", password="here-pw", database="orders")
    assert sorted(p.name for p in server.folder.iterdir()) == ["data"]
    port = free_loopback_port()
    server.start(port)
    assert _login(port, "here-pw") == [("orders", "orders")]
