"""``fleetops up / status / scale / logs / rollout / down`` on a copy of the restaurant example."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from fleetops.providers.local.process import process_alive
from fleetops.server.settings import pid_dirs
from fleetops.testing.example import NotificationSinks, copy_example
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@pytest.fixture
def restaurant(tmp_path: Path, sinks: NotificationSinks) -> Path:
    """The example fleet in a fresh folder, its gateway on a free port instead of 8080."""
    folder = copy_example(tmp_path / "restaurant", sinks)
    fleet_file = folder / "fleet.yaml"
    fleet_file.write_text(fleet_file.read_text().replace("      port: 8080\n", ""))
    return folder


def _fleet_pids(folder: Path) -> list[int]:
    return [int(p.read_text().split()[0]) for d in pid_dirs(folder / ".fleetops") for p in d.glob("*.pid")]


def _load(url: str, stop: threading.Event, outcomes: Counter[str]) -> None:
    with httpx.Client(timeout=5, transport=httpx.HTTPTransport(retries=0)) as client:
        while not stop.is_set():
            try:
                outcomes[str(client.get(url).status_code)] += 1
            except httpx.HTTPError as err:
                outcomes[type(err).__name__] += 1
            stop.wait(0.02)


def test_up_runs_the_restaurant_and_down_leaves_nothing(restaurant: Path) -> None:
    try:
        up = run_cli(["up", "-o", "json"], cwd=restaurant, timeout=120)
        assert up.returncode == 0, up.stderr
        status = json.loads(up.stdout)
        assert [(s["name"], s["healthy"], s["versions"]) for s in status["services"]] == [
            ("auth", 2, ["v1"]),
            ("menu", 2, ["v1"]),
            ("notifications", 1, ["v1"]),
            ("payments", 2, ["v1"]),
            ("orders", 2, ["v1"]),
            ("gateway", 2, ["v1"]),
        ]
        gateway = next(s["endpoint"] for s in status["services"] if s["name"] == "gateway")
        assert httpx.get(gateway + "/health").status_code == 200
        server_pid = status["server"]["pid"]

        again = run_cli(["up", "-o", "json"], cwd=restaurant)
        assert (again.returncode, json.loads(again.stdout)["server"]["pid"]) == (0, server_pid)

        scaled = run_cli(["scale", "menu", "3"], cwd=restaurant)
        assert (scaled.returncode, scaled.stdout.strip()) == (0, "menu: desired 3")
        listed = run_cli(["activities", "menu", "-o", "json"], cwd=restaurant)
        activity = json.loads(listed.stdout)["activities"][0]
        assert (activity["before"], activity["after"], activity["cause"]) == (2, 3, "set by an operator")
        refused = run_cli(["scale", "menu", "9"], cwd=restaurant)
        assert refused.returncode == 2
        assert "desired count 9 for 'menu' is outside its instances min..max (1..3)" in refused.stderr

        table = run_cli(["status"], cwd=restaurant)
        assert table.returncode == 0 and "restaurant (dev)" in table.stdout and "InService" in table.stdout

        logs = run_cli(
            ["logs", "orders", "--limit", "3", "--filter", "{ $.path = /health }", "-o", "json"],
            cwd=restaurant,
        )
        records = [json.loads(line) for line in logs.stdout.splitlines()]
        assert logs.returncode == 0 and len(records) == 3
        assert {(r["service"], r["path"]) for r in records} == {("orders", "/health")}

        stop, outcomes = threading.Event(), Counter[str]()
        loader = threading.Thread(target=_load, args=(gateway + "/health", stop, outcomes))
        loader.start()
        try:
            # Both instances at once, no bake: the example's own settings take ~15 s.
            fast = '{"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "InstanceWarmup": 0}'
            rolled = run_cli(
                ["rollout", "gateway", "v2", "--preferences", fast, "--wait", "-o", "json"], cwd=restaurant
            )
        finally:
            stop.set()
            loader.join()
        assert rolled.returncode == 0, rolled.stderr
        assert json.loads(rolled.stdout)["status"] == "Successful"
        assert set(outcomes) == {"200"} and outcomes["200"] > 50

        # 12 instances, HAProxy, orders-db's postgres and the cache datastore's redis-server: the
        # refresh is Successful once the old gateways are terminating, and they stop when their
        # drain ends (the load above keeps requests in flight), so their pid files go a little later.
        fleet_pids = wait_until(
            lambda: pids if len(pids := _fleet_pids(restaurant)) == 15 else False,
            timeout=30,
            what="the old gateway instances stopped: 15 pid files",
        )
    finally:
        down = run_cli(["down"], cwd=restaurant, timeout=90)
    assert down.returncode == 0, down.stderr
    assert [pid for pid in [server_pid, *fleet_pids] if process_alive(pid)] == []
    assert _fleet_pids(restaurant) == []
