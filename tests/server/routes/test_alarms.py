"""``GET /alarms`` over an alarm monitor reading a written access log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from fleetops.ops.alarms import AlarmMonitor, LocalMetrics
from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.local import EXAMPLES

NOW = datetime(2026, 11, 22, 12, 1, 0, 500_000, tzinfo=UTC)
SERVICES = ["menu", "orders"]


@pytest.fixture
def monitor(api: ApiHarness, tmp_path: Path) -> AlarmMonitor:
    log = tmp_path / "access.jsonl"
    with log.open("w") as handle:
        for seconds in (-25, -15):  # two 5 s periods with 10 errors each: 2 of 3 breaching
            stamp = (NOW + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")
            record = {"service": "orders", "instance": "orders-1", "status": 500, "response_time_ms": 3}
            for _ in range(10):
                handle.write(json.dumps({"timestamp": stamp.replace("+00:00", "Z"), **record}) + "\n")
    fleet = load_fleet(EXAMPLES / "fleet.yaml")
    alarms = AlarmMonitor(
        fleet, "dev", SERVICES, metrics=LocalMetrics(log, None, SERVICES), clock=FakeClock(NOW)
    )
    api.app.state.environments.put(SimpleNamespace(environment="dev", alarms=alarms))
    return alarms


def test_alarms_of_one_service_in_one_state(api: ApiHarness, monitor: AlarmMonitor) -> None:
    response = api.client(Role.VIEWER).get("/api/v1/alarms", params={"state": "ALARM"})
    [alarm] = response.json()["alarms"]
    assert alarm == {
        "name": "high-5xx",
        "service": "orders",
        "type": "MetricAlarm",
        "state": "ALARM",
        "reason": "Threshold Crossed: 2 out of the last 2 datapoints [10.0 (12:00:35), 10.0 (12:00:45)] "
        "were greater than the threshold (5.0) and 1 missing datapoint was treated as [NonBreaching]",
        "updated": "2026-11-22T12:01:00.500Z",
        "evaluated": "2026-11-22T12:01:00.500Z",
        "namespace": None,
        "metric": "HTTPCode_Target_5XX_Count",
        "watched": "Sum of HTTPCode_Target_5XX_Count",
        "metrics": None,
        "dimensions": {},
        "statistic": "Sum",
        "period_s": 5.0,
        "evaluation_periods": 3,
        "datapoints_to_alarm": 2,
        "threshold": 5.0,
        "comparison": "GreaterThanThreshold",
        "treat_missing_data": "notBreaching",
        "description": "The service answers with server errors.",
    }


def test_every_alarm_of_every_watching_service(api: ApiHarness, monitor: AlarmMonitor) -> None:
    found = api.client(Role.VIEWER).get("/api/v1/alarms").json()["alarms"]
    assert [(a["name"], a["service"], a["state"]) for a in found] == [
        ("high-5xx", "menu", "OK"),
        ("high-5xx", "orders", "ALARM"),
        ("orders-cpu-high", "orders", "INSUFFICIENT_DATA"),  # no metrics store given here
        ("slow-p99", "menu", "OK"),
        ("slow-p99", "orders", "OK"),
    ]
    only_menu = api.client(Role.VIEWER).get("/api/v1/alarms", params={"service": "menu"}).json()["alarms"]
    assert {a["service"] for a in only_menu} == {"menu"}


def test_an_unknown_state_is_refused(api: ApiHarness, monitor: AlarmMonitor) -> None:
    response = api.client(Role.VIEWER).get("/api/v1/alarms", params={"state": "RED"})
    assert response.status_code == 422
    assert "OK" in response.text


def test_without_a_fleet_the_route_answers_409(api: ApiHarness) -> None:
    response = api.client(Role.VIEWER).get("/api/v1/alarms")
    assert response.status_code == 409


def test_the_environment_is_a_known_filter(api: ApiHarness, monitor: AlarmMonitor) -> None:
    response = api.client(Role.VIEWER).get("/api/v1/alarms", params={"environment": "dev", "service": "menu"})
    assert response.status_code == 200, response.text
    assert {(a["service"]) for a in response.json()["alarms"]} == {"menu"}
