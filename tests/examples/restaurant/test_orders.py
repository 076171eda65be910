"""orders keeps its data in SQLite, or in PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from fleetops.testing.postgres import PostgresCluster

common = pytest.importorskip("common")
orders = pytest.importorskip("orders")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def order_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    if request.param == "sqlite":
        yield orders.OrderStore(None, str(tmp_path / "orders.sqlite"))
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    url = cluster.create_database()
    store = orders.OrderStore(url, "unused")
    yield store
    store.close()
    cluster.drop_database(url)


def test_orders_are_stored_and_found_by_id_and_user(order_store: orders.OrderStore) -> None:
    first = order_store.add("ada", [1, 3], 1550, "ch_1", "2026-01-01T00:00:00.000Z")
    order_store.add("bob", [2], 1250, "ch_2", "2026-01-01T00:00:01.000Z")

    assert order_store.ping()
    assert order_store.find(order_id=first["id"]) == [first]
    assert [(o["user"], o["items"], o["total_cents"]) for o in order_store.find(user="bob")] == [
        ("bob", [2], 1250)
    ]
    assert [o["user"] for o in order_store.find()] == ["ada", "bob"]


def test_health_is_503_while_the_database_and_required_dependencies_are_unreachable() -> None:
    with socket.socket() as closed:  # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{closed.getsockname()[1]}"
        env = {
            "DATABASE_URL": f"postgresql://postgres@{nowhere}/orders",
            "MENU_URL": f"http://{nowhere}",
            "PAYMENTS_URL": f"http://{nowhere}",
            "NOTIFICATIONS_URL": f"http://{nowhere}",
        }
        settings = common.Settings.from_env("orders", env)
        app = orders.create_app(env, common.JsonLog(settings, io.StringIO()))

        async def health() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
                return await client.get("/health")

        response = asyncio.run(health())

    body = response.json()
    assert response.status_code == 503
    assert (body["status"], body["database"]) == ("unhealthy", "down")
    assert body["problems"] == ["database unreachable", "menu is down", "payments is down"]
    assert body["dependencies"] == {"menu": "down", "payments": "down", "notifications": "down"}


@pytest.mark.postgres
def test_one_postgres_connection_is_kept_and_replaced_once_the_server_ends_it(
    pg_cluster: PostgresCluster,
) -> None:
    url = pg_cluster.create_database()
    store = orders.OrderStore(url, "unused")
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    try:
        assert store.ping() and store.ping() and store.find() == []
        with psycopg.connect(store.url or "", autocommit=True) as admin:
            assert admin.execute(f"SELECT count(*) {others}").fetchone() == (1,)
            admin.execute(f"SELECT pg_terminate_backend(pid) {others}")
        assert store.ping()
        assert store.find() == []
    finally:
        store.close()
        pg_cluster.drop_database(url)
