"""``fleetops restore`` on the running example, orders-db on PostgreSQL: the restore runbook
pauses orders, snapshots orders-db, restores the backup, verifies its row counts, brings
orders back healthy; a damaged backup is refused before anything changes; a failed
verification puts the snapshot back; a restore to a point in time brings back the orders
committed before it, also when the control plane is killed in the middle of it. One fleet for
the module (each test leaves it running)."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest

from fleetops.cli.client import ApiClient
from fleetops.cli.up import client_for, state_dir_of
from fleetops.errors import BadInput
from fleetops.providers.local.process import process_alive
from fleetops.server.settings import read_server_file
from fleetops.testing.example import NotificationSinks, single_instances
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

from .conftest import restaurant_on_postgres

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@dataclass
class Fleet:
    folder: Path
    orders: str
    login: dict[str, str] | None = None

    def cli(self, *args: str, timeout: float = 180) -> tuple[int, str, str]:
        done = run_cli(list(args), cwd=self.folder, timeout=timeout)
        return done.returncode, done.stdout, done.stderr

    def order(self, user: str) -> None:
        created = httpx.post(self.orders + "/orders", json={"user": user, "items": [1]}, timeout=10)
        assert created.status_code == 201, created.text

    def users(self) -> list[str]:
        stores = self.folder / ".fleetops" / "envs" / "dev" / "datastores" / "orders-db"
        port = int((stores / "port").read_text())
        # orders-db's login is the db-password secret's AWSCURRENT (its user, else orders); no
        # test of this module rotates it, so it is read once.
        if self.login is None:
            code, out, err = self.cli("secrets", "get", "db-password", "--reveal", "-o", "json")
            assert code == 0, err
            self.login = json.loads(out)
        login = self.login
        user = login.get("username") or "orders"
        with psycopg.connect(
            host="127.0.0.1", port=port, user=user, dbname="orders", password=login["value"]
        ) as conn:
            return [str(row[0]) for row in conn.execute("SELECT username FROM orders ORDER BY id")]

    def api(self) -> ApiClient:
        state_dir = state_dir_of(self.folder / "fleet.yaml")
        info = read_server_file(state_dir)
        assert info is not None
        return client_for(state_dir, info)

    def backup(self) -> dict[str, object]:
        code, out, err = self.cli("backup", "create", "orders-db", "-o", "json")
        assert code == 0, err
        made: dict[str, object] = json.loads(out)
        return made

    def orders_status(self) -> dict[str, object]:
        status = json.loads(self.cli("status", "-o", "json")[1])
        found: dict[str, object] = next(s for s in status["services"] if s["name"] == "orders")
        return found


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, sinks: NotificationSinks) -> Iterator[Fleet]:
    folder = restaurant_on_postgres(tmp_path_factory.mktemp("restore"), sinks)
    # The services that do not use orders-db on one instance each: the restore pauses and
    # brings back orders (two instances, as written), whatever the others' capacity.
    fleet_file = folder / "fleet.yaml"
    fleet_file.write_text(single_instances(fleet_file.read_text(), keep=("orders",)))
    try:
        up = run_cli(["up", "-o", "json"], cwd=folder, timeout=180)
        assert up.returncode == 0, up.stderr
        orders = next(s["endpoint"] for s in json.loads(up.stdout)["services"] if s["name"] == "orders")
        yield Fleet(folder, orders)
    finally:
        down = run_cli(["down"], cwd=folder, timeout=120)
        assert down.returncode == 0, down.stderr


@dataclass
class SteadyClient:
    """Lists orders every 50 ms; counts what failed, remembers the last answer."""

    url: str
    sent: int = 0
    failed: int = 0
    last_ok: bool = True
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=2) as client:
            while not self._stop.is_set():
                try:
                    ok = client.get(self.url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.sent += 1
                self.failed += not ok
                self.last_ok = ok
                self._stop.wait(0.05)


@pytest.fixture
def client(fleet: Fleet) -> Iterator[SteadyClient]:
    steady = SteadyClient(fleet.orders + "/orders")
    thread = threading.Thread(target=steady.run, daemon=True)
    thread.start()
    yield steady
    steady._stop.set()
    thread.join(timeout=10)


def test_a_damaged_backup_is_refused_and_a_dry_run_changes_nothing(fleet: Fleet) -> None:
    fleet.order("dora")
    backup = fleet.backup()
    before = fleet.orders_status()

    code, out, err = fleet.cli("restore", "orders-db", "--backup", str(backup["backup_id"]), "--dry-run")
    assert code == 0, err
    assert f"restore of orders-db (postgres) in dev from {backup['backup_id']} (dry run" in out
    assert "2. pause orders (scale 2 -> 0): every service using orders-db" in out

    location = Path(str(backup["location"]))
    data = bytearray(location.read_bytes())
    data[len(data) // 2] ^= 0x01
    location.write_bytes(bytes(data))
    code, _out, err = fleet.cli("restore", "orders-db", "--backup", str(backup["backup_id"]), "--wait")
    assert code == 2
    assert f"backup {backup['backup_id']} is damaged: its file's sha256 is " in err
    after = fleet.orders_status()
    assert [i["id"] for i in after["instances"]] == [i["id"] for i in before["instances"]]  # type: ignore[index]
    assert after["desired"] == 2
    assert json.loads(fleet.cli("lock", "status", "-o", "json")[1]) == []


def test_restore_pauses_orders_restores_verifies_and_brings_them_back(
    fleet: Fleet, client: SteadyClient
) -> None:
    fleet.order("ann")
    backup = fleet.backup()
    kept = fleet.users()
    fleet.order("bob")
    fleet.order("cy")

    code, out, err = fleet.cli("restore", "orders-db", "--backup", str(backup["backup_id"]), "--wait")
    assert code == 0, out + err
    assert fleet.users() == kept
    for step in ("Initialize", "Pause", "Snapshot", "Restore", "Verify", "Resume", "Finalize"):
        assert f": {step} done" in out, out
    execution = out.split("started restore ", 1)[1].split()[0]
    snapshot = next(
        b
        for b in json.loads(fleet.cli("backup", "list", "-o", "json")[1])
        if b["backup_id"] == f"bk-{execution}"
    )
    assert (snapshot["tag"], snapshot["contents"]) == ("pre-restore", {"public.orders": len(kept) + 2})
    status = fleet.orders_status()
    assert (status["desired"], status["healthy"], status["ready"]) == (2, 2, True)
    # Paused while the data was replaced: the client saw it, and sees it back.
    sent = client.sent
    assert client.failed > 0
    assert wait_until(lambda: client.sent > sent + 2 and client.last_ok, timeout=30)


def test_a_failed_verification_puts_the_pre_restore_snapshot_back(fleet: Fleet) -> None:
    backup = fleet.backup()
    fleet.order("eve")
    current = fleet.users()
    # The catalog says the backup held one row more than its file does: verification fails.
    with sqlite3.connect(fleet.folder / ".fleetops" / "fleetops.db") as db:
        db.execute(
            "UPDATE backups SET contents = ? WHERE backup_id = ?",
            (json.dumps({"public.orders": 1000}), backup["backup_id"]),
        )
    db.close()

    code, out, err = fleet.cli("restore", "orders-db", "--backup", str(backup["backup_id"]), "--wait")
    assert code == 1, out + err
    assert "fleetops.VerifyFailed" in err
    assert "public.orders: " in err and "1000 in the backup" in err
    assert fleet.users() == current
    for step in ("FallBack done", "FallBackResume done", "Unlock done"):
        assert f": {step}" in out, out
    status = fleet.orders_status()
    assert (status["desired"], status["healthy"]) == (2, 2)
    assert json.loads(fleet.cli("lock", "status", "-o", "json")[1]) == []


def test_a_point_in_time_restore_shows_its_plan_and_refuses_what_it_cannot_reach(fleet: Fleet) -> None:
    with fleet.api() as api:
        base = api.post("/backups", {"datastore": "orders-db", "kind": "base"})
        verified = api.post(f"/backups/{base['backup_id']}/verify")
        assert (verified["verify_status"], verified["verify_detail"].split(":")[0]) == (
            "verified",
            "a copy started and replayed its WAL to a consistent state",
        )
        cases = {
            "2999-01-01T00:00:00Z": "is in the future (it is ",
            "2001-01-01T00:00:00Z": "is before the oldest base backup of 'orders-db' (",
            "2001-01-01T00:00:00": "has no zone: add one",
        }
        for moment, said in cases.items():
            with pytest.raises(BadInput, match=re.escape(said)):
                api.post("/restores", {"datastore": "orders-db", "to_time": moment})
        with pytest.raises(
            BadInput, match="datastore 'cache' is redis: point-in-time restores are PostgreSQL's"
        ):
            api.post("/restores", {"datastore": "cache", "to_time": "2001-01-01T00:00:00Z"})
        with pytest.raises(
            BadInput, match=re.escape(f"backup {base['backup_id']} is a base backup (pg_basebackup)")
        ):
            api.post("/restores", {"datastore": "orders-db", "backup_id": base["backup_id"]})
        with pytest.raises(BadInput, match=re.escape("name a backup (backup_id) or a time (to_time)")):
            api.post("/restores", {"datastore": "orders-db"})
        assert api.get("/locks") == {"locks": []}
    moment = datetime.now(UTC).isoformat()

    code, out, err = fleet.cli("restore", "orders-db", "--to-time", moment, "--dry-run")

    assert code == 0, err
    assert f"restore of orders-db (postgres) in dev to {moment} (from base backup {base['backup_id']})" in out
    assert "replayed up to that time, the copy promoted and moved in" in out


def test_a_point_in_time_restore_killed_with_the_control_plane_brings_back_the_orders_before_its_time(
    fleet: Fleet,
) -> None:
    code, out, err = fleet.cli("backup", "create", "orders-db", "--kind", "base", "-o", "json")
    assert code == 0, err
    base = json.loads(out)
    assert (base["tool"], base["location"].endswith(".base.tar.gz")) == ("pg_basebackup", True)
    fleet.order("rex")
    kept = fleet.users()
    moment = datetime.now(UTC).isoformat()
    fleet.order("sam")
    server_pid = int((read_server_file(state_dir_of(fleet.folder / "fleet.yaml")) or {})["pid"])
    copy = fleet.folder / ".fleetops" / "envs" / "dev" / "datastores" / "orders-db" / "pitr" / "data"
    with fleet.api() as api:
        name = api.post("/restores", {"datastore": "orders-db", "to_time": moment})["execution"]
        # Killed inside the restore step: orders paused, the snapshot taken, the base backup
        # being unpacked beside the live server.
        wait_until((copy / "PG_VERSION").exists, timeout=120, what="the copy being unpacked")
    os.kill(server_pid, signal.SIGKILL)
    wait_until(lambda: not process_alive(server_pid), timeout=30, what="the server gone")

    up = run_cli(["up", "-o", "json"], cwd=fleet.folder, timeout=180)

    assert up.returncode == 0, up.stderr
    with fleet.api() as api:
        ended = wait_until(
            lambda: (got := api.get(f"/deployments/{name}"))["status"] != "RUNNING" and got,
            timeout=240,
            interval=0.5,  # a look costs the server a progress report: the restore takes tens of seconds
            what="the restore ended",
        )
        assert (ended["status"], ended["error"]) == ("SUCCEEDED", None), ended
        assert api.get("/locks") == {"locks": []}
    assert fleet.users() == kept
    status = fleet.orders_status()
    assert (status["desired"], status["healthy"]) == (2, 2)
