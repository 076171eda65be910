"""``fleetops drill`` on the running example with orders-db on SQLite (``kind: sqlite``, which
the example may use instead of its PostgreSQL; the README's test runs its drill on PostgreSQL),
its targets RTO 1m and RPO 1s (so the data lost since the backup the test takes misses the RPO
target, and an instance failure meets its RTO): datastore-loss destroys orders-db, restores the
latest verified backup through the restore runbook and measures RTO and RPO; instance-failure
SIGKILLs an instance of menu. One fleet for the module; the example's ops-chat channel (drill.*)
delivers to the session's webhook receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetops.cli.client import ApiClient, locate_server
from fleetops.providers.local.redis_server import redis_command
from fleetops.testing.example import NotificationSinks, single_instances
from fleetops.testing.receivers import WebhookReceiver
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

from .conftest import restaurant_on_sqlite

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

HEARTBEAT_S = 1.0


@dataclass
class Fleet:
    folder: Path
    orders: str
    hook: WebhookReceiver
    api: ApiClient
    """Setup and checks through the API; the drills themselves through the CLI."""

    def cli(self, *args: str, timeout: float = 180) -> tuple[int, str, str]:
        done = run_cli(list(args), cwd=self.folder, timeout=timeout)
        return done.returncode, done.stdout, done.stderr

    def order(self, user: str) -> None:
        created = httpx.post(self.orders + "/orders", json={"user": user, "items": [1]}, timeout=10)
        assert created.status_code == 201, created.text

    def users(self) -> list[str]:
        listed = httpx.get(self.orders + "/orders", timeout=10)
        assert listed.status_code == 200, listed.text
        return [str(order["user"]) for order in listed.json()]

    def verified_backup(self) -> dict[str, Any]:
        made: dict[str, Any] = self.api.post("/backups", {"datastore": "orders-db"})
        assert self.api.post(f"/backups/{made['backup_id']}/verify")["verify_status"] == "verified"
        return made

    def notified(self, drill: str) -> list[str]:
        """The titles of drill ``drill``'s notifications (the example's ops-chat takes drill.*)."""
        titles = [str(body["text"]).splitlines()[0] for body in list(self.hook.bodies)]
        return [title for title in titles if title.endswith(f"({drill})")]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, sinks: NotificationSinks) -> Iterator[Fleet]:
    folder = restaurant_on_sqlite(tmp_path_factory.mktemp("drill"), sinks)
    fleet_file = folder / "fleet.yaml"
    text = fleet_file.read_text()
    targets = "drills: {rto: 15m, rpo: 1h, data_path: /orders}"
    assert targets in text
    text = text.replace(targets, "drills: {rto: 1m, rpo: 1s, data_path: /orders}")
    # orders (restored, paused and brought back) and menu (an instance killed, the other
    # serving) as written; the others on one instance each, in dev and in the scratch copy
    # that starts what dev runs.
    fleet_file.write_text(single_instances(text, keep=("orders", "menu")))
    try:
        up = run_cli(["up", "-o", "json"], cwd=folder, timeout=180)
        assert up.returncode == 0, up.stderr
        orders = next(s["endpoint"] for s in json.loads(up.stdout)["services"] if s["name"] == "orders")
        with ApiClient(locate_server(folder / ".fleetops"), timeout=120) as api:
            yield Fleet(folder, orders, sinks.webhook, api)
    finally:
        down = run_cli(["down"], cwd=folder, timeout=120)
        assert down.returncode == 0, down.stderr


def _at(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def test_datastore_loss_wants_a_yes_and_a_dry_run_changes_nothing(fleet: Fleet) -> None:
    backup = fleet.verified_backup()
    code, _out, err = fleet.cli("drill", "datastore-loss")
    assert code == 2
    assert (
        "datastore-loss destroys the data of its datastore in the running environment: confirm with --yes"
        in err
    )

    code, out, err = fleet.cli("drill", "datastore-loss", "--dry-run")
    assert code == 0, err
    assert "drill datastore-loss in dev (dry run: nothing was changed); targets RTO 1m, RPO 1s" in out
    assert "2. destroy every table of orders-db (sqlite) in dev (outage start)" in out
    assert f"3. restore backup {backup['backup_id']} of " in out
    assert fleet.api.get("/drills")["drills"] == []


def test_datastore_loss_restores_orders_and_measures_rto_and_rpo(fleet: Fleet) -> None:
    fleet.order("ann")
    backup = fleet.verified_backup()
    kept = fleet.users()
    fleet.order("bob")  # after the backup: lost with orders-db

    code, out, err = fleet.cli("drill", "datastore-loss", "--yes", "--wait", "-o", "json")
    assert code == 1, out + err  # the RPO target (1s) is missed: the backup is older
    report = json.loads(out)
    assert (report["outcome"], report["datastore"], report["backup_id"]) == (
        "target_missed",
        "orders-db",
        backup["backup_id"],
    )
    assert "RPO" in err and "MISSED" in err
    assert fleet.users() == kept

    outage, healthy = _at(report["outage_at"]), _at(report["healthy_at"])
    assert report["rto"]["seconds"] == round((healthy - outage).total_seconds(), 3)
    assert (report["rto"]["met"], report["rpo"]["met"], report["rpo"]["from"]) == (True, False, "heartbeat")
    # The stamp the restore left was written at most a heartbeat before the dump's snapshot,
    # which was taken within the backup's duration after its creation time.
    since_backup = (outage - _at(backup["created_at"])).total_seconds()
    rpo = report["rpo"]["seconds"]
    assert (
        since_backup - int(str(backup["duration_ms"])) / 1000 - 0.01
        <= rpo
        <= since_backup + HEARTBEAT_S + 0.3
    )

    # Recovery went through the restore runbook; the services were healthy by its end.
    restore = fleet.api.get(f"/executions/{report['restore_execution']}")
    assert restore["status"] == "SUCCEEDED"
    assert outage <= _at(restore["start_date"]) and healthy <= _at(restore["stop_date"])
    client = report["client"]
    assert client["failed"] > 0 and _at(client["first_failure"]) >= outage
    drill = report["drill"]
    assert wait_until(lambda: len(fleet.notified(drill)) == 2, timeout=30)
    started, missed = fleet.notified(drill)
    assert started == f"dev: drill started ({drill})"
    assert missed.startswith("dev: drill missed its targets after ") and missed.endswith(f"({drill})")
    code, out, err = fleet.cli("drill", "report", "-o", "json")  # the newest drill's
    assert (code, json.loads(out)) == (0, report), err


def test_instance_failure_kills_a_menu_instance_and_measures_the_time_to_healthy(fleet: Fleet) -> None:
    code, out, err = fleet.cli("drill", "instance-failure", "--service", "menu", "--wait", "-o", "json")
    assert code == 0, out + err
    report = json.loads(out)
    assert (report["outcome"], report["service"], len(report["killed"])) == ("met", "menu", 1)
    assert "rpo" not in report
    outage, healthy = _at(report["outage_at"]), _at(report["healthy_at"])
    assert 0 < report["rto"]["seconds"] == round((healthy - outage).total_seconds(), 3) <= 60
    menu = next(s for s in fleet.api.get("/fleet")["services"] if s["name"] == "menu")
    assert report["killed"][0] not in [i["id"] for i in menu["instances"] if i["state"] == "InService"]
    assert menu["healthy"] == 2
    code, out, err = fleet.cli("drill", "list", "-o", "json")
    assert code == 0, err
    assert [(d["scenario"], d["outcome"]) for d in json.loads(out)] == [
        ("instance-failure", "met"),
        ("datastore-loss", "target_missed"),
    ]


def test_datastore_loss_in_a_scratch_copy_leaves_the_environments_data_alone(fleet: Fleet) -> None:
    fleet.order("cat")
    backup = fleet.verified_backup()
    fleet.order("dan")  # after the backup: lost in the copy, kept in dev
    before = fleet.users()

    code, out, err = fleet.cli("drill", "datastore-loss", "--scratch", "--wait", "-o", "json")  # no --yes
    assert code == 1, out + err  # the RPO target (1s) is missed: the backup is older
    report = json.loads(out)
    assert report["failure"] is None, report
    assert (report["outcome"], report["scratch"], report["backup_id"]) == (
        "target_missed",
        "dev-scratch",
        backup["backup_id"],
    )
    assert fleet.users() == before

    outage, healthy = _at(report["outage_at"]), _at(report["healthy_at"])
    assert report["rto"]["seconds"] == round((healthy - outage).total_seconds(), 3)
    assert (report["rto"]["met"], report["rpo"]["from"]) == (True, "heartbeat")
    since_backup = (outage - _at(backup["created_at"])).total_seconds()
    rpo = report["rpo"]["seconds"]
    assert (
        since_backup - int(str(backup["duration_ms"])) / 1000 - 0.01
        <= rpo
        <= since_backup + HEARTBEAT_S + 0.3
    )
    restore = fleet.api.get(f"/executions/{report['restore_execution']}")
    assert restore["status"] == "SUCCEEDED"
    assert restore["input"]["environment"] == "dev-scratch"
    assert report["client"]["failed"] > 0
    assert fleet.api.get("/environments")["running"] == ["dev"]  # the copy was discarded


def _cache(fleet: Fleet, *command: str) -> object:
    """A command to the example's cache (its generated password: no secret is linked to it)."""
    home = fleet.folder / ".fleetops" / "envs" / "dev" / "datastores" / "cache"
    port = int((home / "port").read_text())
    return redis_command(port, (home / "password").read_text().strip(), *command)


def test_datastore_loss_of_the_redis_cache_restores_its_rdb_and_measures_rpo_from_the_backup(
    fleet: Fleet,
) -> None:
    assert _cache(fleet, "SET", "menu:1", "soup") == "OK"
    made: dict[str, Any] = fleet.api.post("/backups", {"datastore": "cache"})
    assert fleet.api.post(f"/backups/{made['backup_id']}/verify")["verify_status"] == "verified"
    assert _cache(fleet, "SET", "menu:2", "stew") == "OK"  # after the backup: lost

    code, out, err = fleet.cli(
        "drill", "datastore-loss", "--datastore", "cache", "--yes", "--wait", "-o", "json"
    )
    assert code == 1, out + err  # the RPO target (1s) is missed: the backup is older
    report = json.loads(out)
    assert (report["outcome"], report["datastore"], report["backup_id"], report["failure"]) == (
        "target_missed",
        "cache",
        made["backup_id"],
        None,
    )
    assert (_cache(fleet, "GET", "menu:1"), _cache(fleet, "GET", "menu:2")) == ("soup", None)
    # Redis keeps no heartbeat: the data lost is everything since the backup was taken.
    outage = _at(report["outage_at"])
    assert (report["rpo"]["from"], report["rpo"]["met"]) == ("backup time", False)
    assert report["rpo"]["seconds"] == round((outage - _at(made["created_at"])).total_seconds(), 3)
    assert report["rto"]["met"] is True
    assert fleet.api.get(f"/executions/{report['restore_execution']}")["status"] == "SUCCEEDED"
