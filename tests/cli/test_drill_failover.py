"""``fleetops drill environment-failover`` on the running example, orders-db on PostgreSQL, with a
standby ``dr`` (``standby_for: dev``) and the gateway pinned on a free port (the entry point);
targets RTO 1m, RPO 1h. The drill stops dev, brings dr up at dev's verified releases with
orders-db restored from dev's latest verified backup, on the gateway's port; clients reach it
there with the token dev's auth gave them. Failing back (down dr, up dev) brings dev back with
its data. One fleet for the module."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetops.cli.client import ApiClient, locate_server
from fleetops.server.settings import read_server_file
from fleetops.testing.example import NotificationSinks, single_instances
from fleetops.testing.receivers import WebhookReceiver
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

from .conftest import restaurant_on_postgres

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

HEARTBEAT_S = 1.0


@dataclass
class Fleet:
    folder: Path
    entry: str
    """The gateway's pinned address: what clients are given."""
    api: ApiClient
    hook: WebhookReceiver

    def cli(self, *args: str, timeout: float = 180) -> tuple[int, str, str]:
        done = run_cli(list(args), cwd=self.folder, timeout=timeout)
        return done.returncode, done.stdout, done.stderr

    def token(self, user: str) -> str:
        got = httpx.post(self.entry + "/api/token", json={"user": user}, timeout=10)
        assert got.status_code == 200, got.text
        return str(got.json()["token"])

    def order(self, token: str) -> None:
        made = httpx.post(
            self.entry + "/api/orders",
            json={"items": [1]},
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert made.status_code == 201, made.text

    def orders(self, token: str) -> int:
        listed = httpx.get(
            self.entry + "/api/orders", headers={"authorization": f"Bearer {token}"}, timeout=10
        )
        assert listed.status_code == 200, listed.text
        return len(listed.json())

    def notified(self, drill: str) -> list[str]:
        """The titles of drill ``drill``'s notifications (the example's ops-chat takes drill.*)."""
        titles = [str(body["text"]).splitlines()[0] for body in list(self.hook.bodies)]
        return [title for title in titles if title.endswith(f"({drill})")]

    def running(self) -> dict[str, bool]:
        return {e["name"]: e["running"] for e in self.api.get("/environments")["environments"]}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, sinks: NotificationSinks) -> Iterator[Fleet]:
    folder = restaurant_on_postgres(tmp_path_factory.mktemp("failover"), sinks)
    fleet_file = folder / "fleet.yaml"
    # One instance a service (dev, then dr, then dev again: three starts of the whole fleet):
    # the failover moves environments, whatever each service's capacity.
    text = single_instances(fleet_file.read_text())
    port = _free_port()
    gateway = '      command: "{python} services/gateway.py"\n'
    edits = {
        "drills: {rto: 15m, rpo: 1h, data_path: /orders}": "drills: {rto: 1m, rpo: 1h}",
        "\n  stage:\n    provider": "\n  dr: {provider: local, standby_for: dev}\n  stage:\n    provider",
        "    environments: [dev, stage]\n    backup:": "    environments: [dev, stage, dr]\n    backup:",
        gateway: f"{gateway}      port: {port}\n",
    }
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    fleet_file.write_text(text)
    try:
        up = run_cli(["up"], cwd=folder, timeout=180)
        assert up.returncode == 0, up.stderr
        with ApiClient(locate_server(folder / ".fleetops"), timeout=120) as api:
            yield Fleet(folder, f"http://127.0.0.1:{port}", api, sinks.webhook)
    finally:
        down = run_cli(["down"], cwd=folder, timeout=120)
        assert down.returncode == 0, down.stderr


def _at(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def test_a_failover_wants_a_yes_and_the_environments_standby(fleet: Fleet) -> None:
    code, _out, err = fleet.cli("drill", "environment-failover")
    assert code == 2
    assert (
        "environment-failover stops the running environment and brings its standby up in its place: "
        "confirm with --yes"
    ) in err
    code, _out, err = fleet.cli("drill", "environment-failover", "--standby", "stage", "--dry-run")
    assert code == 2
    assert "environment 'stage' does not stand by for 'dev' (its standby_for is not set)" in err
    assert fleet.running()["dev"] is True
    assert fleet.api.get("/drills")["drills"] == []


def test_the_standby_takes_the_entry_point_with_the_backups_data(fleet: Fleet) -> None:
    token = fleet.token("ann")
    fleet.order(token)
    backup: dict[str, Any] = fleet.api.post("/backups", {"datastore": "orders-db"})
    assert fleet.api.post(f"/backups/{backup['backup_id']}/verify")["verify_status"] == "verified"
    fleet.order(token)  # after the backup: lost with dev
    assert fleet.orders(token) == 2

    code, out, err = fleet.cli("drill", "environment-failover", "--dry-run")
    assert code == 0, err
    assert "drill environment-failover in dev (dry run: nothing was changed); targets RTO 1m, RPO 1h" in out
    assert "2. stop dev: its instances, load balancers and datastores (outage start)" in out
    assert f"restore orders-db from backup {backup['backup_id']}; cache start empty" in out

    code, out, err = fleet.cli("drill", "environment-failover", "--yes", "--wait", "-o", "json")
    assert code == 0, out + err
    report = json.loads(out)
    assert (report["outcome"], report["environment"], report["standby"]) == ("met", "dev", "dr")
    assert report["entry_points"] == {"gateway": int(fleet.entry.rsplit(":", 1)[1])}
    assert {r["service"]: r["version"] for r in report["releases"]} == dict.fromkeys(
        ("auth", "gateway", "menu", "notifications", "orders", "payments"), "v1"
    )
    assert report["backups"]["orders-db"]["backup_id"] == backup["backup_id"]

    outage, healthy = _at(report["outage_at"]), _at(report["healthy_at"])
    assert report["rto"]["seconds"] == round((healthy - outage).total_seconds(), 3)
    assert (report["rto"]["met"], report["rpo"]["met"], report["rpo"]["from"]) == (True, True, "heartbeat")
    # The stamp the restore left was written at most a heartbeat before the dump's snapshot.
    since_backup = (outage - _at(backup["created_at"])).total_seconds()
    assert (
        since_backup - int(str(backup["duration_ms"])) / 1000 - 0.01
        <= report["rpo"]["seconds"]
        <= since_backup + HEARTBEAT_S + 0.3
    )
    client = report["client"]
    assert client["failed"] > 0 and _at(client["first_failure"]) >= outage

    # dr serves the entry point now: dev's token is valid there, the order taken after the
    # backup is lost; dev stays stopped, and a restarted control plane would run dr.
    assert fleet.orders(token) == 1
    assert (fleet.running()["dev"], fleet.running()["dr"]) == (False, True)
    server = read_server_file(fleet.folder / ".fleetops")
    assert server is not None and server["environments"] == ["dr"]
    code, out, err = fleet.cli("drill", "report", "-o", "json")
    assert (code, json.loads(out)) == (0, report), err
    # In dev's name, dev stopped: its notifications go out all the same.
    drill = report["drill"]
    assert wait_until(lambda: len(fleet.notified(drill)) == 2, timeout=30)
    started, completed = fleet.notified(drill)
    assert started == f"dev: drill started ({drill})"
    assert completed.startswith("dev: drill completed after ") and completed.endswith(f"({drill})")

    # Failing back: dev had kept its data.
    code, _out, err = fleet.cli("down", "--env", "dr")
    assert code == 0, err
    code, _out, err = fleet.cli("up", "--env", "dev")
    assert code == 0, err
    assert fleet.orders(token) == 2
