"""``fleetops up`` starts the fleet file's datastores in the environment's state folder, ``status``
shows their health, ``down`` stops them (the example, with orders-db on PostgreSQL)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import psycopg
import pytest

from fleetops.testing.example import NotificationSinks
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

from .conftest import restaurant_on_postgres

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@pytest.fixture
def restaurant(tmp_path: Path, sinks: NotificationSinks) -> Path:
    return restaurant_on_postgres(tmp_path, sinks)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_up_starts_the_datastores_and_down_stops_them(restaurant: Path) -> None:
    stores = restaurant / ".fleetops" / "envs" / "dev" / "datastores"
    try:
        up = run_cli(["up", "-o", "json"], cwd=restaurant, timeout=180)
        assert up.returncode == 0, up.stderr
        status = json.loads(run_cli(["status", "-o", "json"], cwd=restaurant).stdout)
        assert [(s["name"], s["kind"], s["healthy"]) for s in status["datastores"]] == [
            ("orders-db", "postgres", True),
            ("cache", "redis", True),
        ]
        pids = [
            int((stores / "orders-db" / "server" / "data" / "postmaster.pid").read_text().split()[0]),
            int((stores / "cache" / "server" / "redis.pid").read_text()),
        ]
        assert all(_alive(pid) for pid in pids)

        orders = next(s["endpoint"] for s in status["services"] if s["name"] == "orders")
        created = httpx.post(orders + "/orders", json={"user": "ann", "items": [1]}, timeout=10)
        assert created.status_code == 201, created.text
        port = int((stores / "orders-db" / "port").read_text())
        # The example links orders-db to db-password: its password is that secret's value.
        password = run_cli(["secrets", "get", "db-password", "--reveal"], cwd=restaurant).stdout.strip()
        with psycopg.connect(
            host="127.0.0.1", port=port, user="orders", dbname="orders", password=password
        ) as conn:
            assert conn.execute("SELECT username FROM orders").fetchall() == [("ann",)]
        table = run_cli(["status"], cwd=restaurant)
        assert "orders-db" in table.stdout and "unhealthy" not in table.stdout
    finally:
        down = run_cli(["down"], cwd=restaurant, timeout=120)
    assert down.returncode == 0, down.stderr
    assert wait_until(lambda: not any(_alive(pid) for pid in pids), timeout=20)
