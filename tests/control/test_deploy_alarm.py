"""The deploy alarm gate on real processes: a release answering 500s, with traffic flowing through
its load balancer, sends ``high-5xx`` into ALARM; the deployment fails naming the alarm, and the
service is rolled back to its verified release. A healthy release deployed the same way first
passes the same gate (the alarm neither refuses nor fails it).

``fleetops up`` runs a one-service fleet whose alarm has 1 s periods (2 of 2 datapoints above 2
errors), so the test lasts seconds; the faulty release is the example fleet's ``orders``
``v3-errors`` (its env), and its alarm the example's ``high-5xx`` with shorter periods.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetops.cli.client import ApiClient
from fleetops.cli.up import client_for, state_dir_of
from fleetops.server.settings import read_server_file
from fleetops.spec.loader import load_fleet
from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.local import EXAMPLES
from fleetops.testing.server import run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
EXAMPLE = load_fleet(EXAMPLES / "fleet.yaml")
HIGH_5XX = EXAMPLE.alarms["high-5xx"].model_dump(mode="json", exclude={"description"}) | {
    "period": "1s",
    "evaluation_periods": 2,
    "datapoints_to_alarm": 2,
    "threshold": 2,
}
MENU = {
    "versions": {"errors": {"env": dict(EXAMPLE.services["orders"].versions["v3-errors"].env)}},
    # The bake gives the alarm time to see the new release: 2 periods of 1 s, and a poll.
    "deploy": {"alarms": ["high-5xx"], "bake_time": "6s"},
}


@contextmanager
def fleet_up(folder: Path) -> Iterator[ApiClient]:
    """``fleetops up`` in ``folder``; an API client of its server; ``fleetops down`` after."""
    try:
        up = run_cli(["up", "-o", "json", "--timeout", "60"], cwd=folder, timeout=90)
        assert up.returncode == 0, up.stderr
        state_dir = state_dir_of(folder / "fleet.yaml")
        info = read_server_file(state_dir)
        assert info is not None
        with client_for(state_dir, info) as api:
            yield api
    finally:
        down = run_cli(["down"], cwd=folder, timeout=90)
        assert down.returncode == 0, down.stderr


@contextmanager
def steady_traffic(url: str) -> Iterator[list[int]]:
    """GET ``url`` about 50 times a second until the block ends; the statuses seen."""
    statuses: list[int] = []
    stop = threading.Event()

    def run() -> None:
        with httpx.Client(timeout=5) as http:
            while not stop.wait(0.02):
                try:
                    statuses.append(http.get(url).status_code)
                except httpx.HTTPError:
                    statuses.append(0)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield statuses
    finally:
        stop.set()
        thread.join(timeout=10)


def deploy(api: ApiClient, version: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Deploy ``version`` and wait for the end: the deployment, and the alarms seen in ALARM meanwhile."""
    execution = api.post("/deployments", {"environment": "dev", "version": version})["execution"]
    firing: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while True:
        progress: dict[str, Any] = api.get(f"/deployments/{execution}")
        firing += api.get("/alarms", state="ALARM")["alarms"]
        if progress["status"] in TERMINAL or time.monotonic() > deadline:
            return progress, firing
        time.sleep(0.2)


def versions(api: ApiClient) -> list[str]:
    [menu] = api.get("/fleet")["services"]
    return [menu["version"], *sorted(i["version"] for i in menu["instances"] if i["state"] == "InService")]


def test_a_release_answering_errors_fails_on_its_alarm_and_is_rolled_back(tmp_path: Path) -> None:
    write_fleet(tmp_path, {"menu": MENU}, alarms={"high-5xx": HIGH_5XX})
    with fleet_up(tmp_path) as api:
        [menu] = api.get("/fleet")["services"]
        with steady_traffic(menu["endpoint"] + "/items") as statuses:
            healthy, firing = deploy(api, "v2")
            assert (healthy["status"], firing) == ("SUCCEEDED", []), healthy
            assert set(statuses) == {200}

            failed, firing = deploy(api, "errors")
            assert failed["status"] == "FAILED", failed
            assert "high-5xx" in failed["cause"], failed
            [rollout] = [s["rollout"] for s in failed["services"]]
            assert rollout["status"] == "RollbackSuccessful", rollout
            assert "Alarm high-5xx went into ALARM." in rollout["failure"], rollout
            assert {(a["name"], a["service"]) for a in firing} == {("high-5xx", "menu")}
            reason = firing[0]["reason"]
            assert reason.startswith("Threshold Crossed: 2 out of the last 2 datapoints ["), reason
            assert 500 in statuses
        assert versions(api) == ["v2", "v2"]
        releases = api.get("/releases", service="menu")["releases"]
        assert [(r["version"], r["status"]) for r in releases] == [
            ("errors", "failed"),
            ("v2", "verified"),
            ("v1", "verified"),
        ]

        listed = run_cli(["alarms", "--service", "menu", "-o", "json"], cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert [(a["name"], a["service"], a["metric"]) for a in json.loads(listed.stdout)] == [
            ("high-5xx", "menu", "HTTPCode_Target_5XX_Count")
        ]
        table = run_cli(["alarms"], cwd=tmp_path, env={"COLUMNS": "80"})
        head, reason = table.stdout.splitlines()[:2]
        assert re.match(r"^high-5xx  menu  (OK|ALARM) +  since 20\d\d-\d\d-\d\d \d\d:\d\d:\d\dZ$", head), head
        assert reason.startswith("  Threshold Crossed: "), table.stdout

        # The change into ALARM is in the alarm's history, with its reason.
        history = run_cli(["alarms", "history", "high-5xx", "-o", "json"], cwd=tmp_path)
        assert history.returncode == 0, history.stderr
        updates = [h for h in json.loads(history.stdout)["history"] if h["kind"] == "StateUpdate"]
        into_alarm = [h for h in updates if h["new_state"] == "ALARM"]
        assert [(h["service"], h["old_state"]) for h in into_alarm] == [("menu", "OK")], updates
        assert into_alarm[0]["reason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints [")
        disabled = run_cli(["alarms", "disable-actions", "high-5xx"], cwd=tmp_path)
        assert disabled.stdout == "actions of high-5xx (menu) disabled\n", disabled.stderr
        unknown = run_cli(["alarms", "history", "high-5xxx"], cwd=tmp_path)
        assert unknown.returncode == 2
        assert "unknown alarm 'high-5xxx' (known: high-5xx)" in unknown.stderr
        history = run_cli(["alarms", "history", "high-5xx", "-o", "json"], cwd=tmp_path)
        # Newest first; the alarm may go back to OK meanwhile (a StateUpdate after the disable).
        actions = [h["summary"] for h in json.loads(history.stdout)["history"] if h["kind"] == "Action"]
        assert actions[0] == "Actions disabled"
