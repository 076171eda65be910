"""``fleetops up`` starts the fleet file's datastores in the environment's state folder, ``status``
shows their health, ``down`` stops them; the example's orders keeps its data in the sandbox's
PostgreSQL (orders-db), across a restart of its instances. One fleet for the module."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from fleetops.testing.example import NotificationSinks, quick_orders, single_instances
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

from .conftest import restaurant_on_postgres

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@dataclass
class Fleet:
    folder: Path
    status: dict[str, object]
    """``fleetops status -o json`` right after ``up``."""

    @property
    def stores(self) -> Path:
        return self.folder / ".fleetops" / "envs" / "dev" / "datastores"

    def server_pids(self) -> list[int]:
        return [
            int((self.stores / "orders-db" / "server" / "data" / "postmaster.pid").read_text().split()[0]),
            int((self.stores / "cache" / "server" / "redis.pid").read_text()),
        ]

    def orders_endpoint(self) -> str:
        services = self.status["services"]
        assert isinstance(services, list)
        return str(next(s["endpoint"] for s in services if s["name"] == "orders"))

    def orders_processes(self) -> dict[int, dict[str, str]]:
        """pid -> environment of each running instance of orders (a process of this copy)."""
        found: dict[int, dict[str, str]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
                cwd = os.readlink(entry / "cwd")
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue  # ended meanwhile, or not ours to read
            if b"services/orders.py" in command and Path(cwd) == self.folder:
                env = found.setdefault(int(entry.name), {})
                for item in environ:
                    key, equals, value = item.decode(errors="replace").partition("=")
                    if equals:
                        env[key] = value
        return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, sinks: NotificationSinks) -> Iterator[Fleet]:
    """The example (orders' rollouts without their bake, for the restart; every other service on
    one instance); ``down`` at the end must stop its datastores' servers."""
    folder = restaurant_on_postgres(tmp_path_factory.mktemp("datastores"), sinks)
    fleet_file = folder / "fleet.yaml"
    fleet_file.write_text(single_instances(quick_orders(fleet_file.read_text()), keep=("orders",)))
    pids: list[int] = []
    try:
        up = run_cli(["up"], cwd=folder, timeout=180)
        assert up.returncode == 0, up.stderr
        status = json.loads(run_cli(["status", "-o", "json"], cwd=folder).stdout)
        running = Fleet(folder, status)
        pids = running.server_pids()
        yield running
    finally:
        down = run_cli(["down"], cwd=folder, timeout=120)
    assert down.returncode == 0, down.stderr
    assert pids and wait_until(lambda: not any(_alive(pid) for pid in pids), timeout=20)


def test_up_starts_the_datastores_and_status_shows_their_health(fleet: Fleet) -> None:
    datastores = fleet.status["datastores"]
    assert isinstance(datastores, list)
    assert [(s["name"], s["kind"], s["healthy"]) for s in datastores] == [
        ("orders-db", "postgres", True),
        ("cache", "redis", True),
    ]
    assert all(_alive(pid) for pid in fleet.server_pids())
    table = run_cli(["status"], cwd=fleet.folder)
    assert "orders-db" in table.stdout and "unhealthy" not in table.stdout


def test_orders_keeps_its_orders_in_the_sandbox_postgres_across_a_restart(fleet: Fleet) -> None:
    port = int((fleet.stores / "orders-db" / "port").read_text())
    # The example links orders-db to db-password: its password is that secret's value.
    password = run_cli(["secrets", "get", "db-password", "--reveal"], cwd=fleet.folder).stdout.strip()
    before = fleet.orders_processes()
    assert len(before) == 2
    assert {env["ORDERS_DB_URL"] for env in before.values()} == {
        f"postgresql://orders:{password}@127.0.0.1:{port}/orders"
    }
    created = httpx.post(fleet.orders_endpoint() + "/orders", json={"user": "ann", "items": [1]}, timeout=10)
    assert created.status_code == 201, created.text
    with psycopg.connect(
        host="127.0.0.1", port=port, user="orders", dbname="orders", password=password
    ) as conn:
        assert conn.execute("SELECT username FROM orders").fetchall() == [("ann",)]

    # Every instance of orders replaced by a new process (a rollout to v2).
    rollout = run_cli(["rollout", "orders", "v2", "--wait"], cwd=fleet.folder, timeout=180)
    assert rollout.returncode == 0, rollout.stdout + rollout.stderr
    # The old instances are stopped once drained.
    assert wait_until(lambda: not set(fleet.orders_processes()) & set(before), timeout=30)
    assert len(fleet.orders_processes()) == 2
    listed = httpx.get(fleet.orders_endpoint() + "/orders", timeout=10)
    assert listed.status_code == 200, listed.text
    assert [(o["id"], o["user"]) for o in listed.json()] == [(created.json()["id"], "ann")]
