"""The alarm states of a fleet's services, evaluated on the local access log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetops.ops.alarms import AlarmMonitor, AlarmState, AlarmStatus, LocalMetrics
from fleetops.providers.base import InstanceInfo
from fleetops.spec.loader import load_fleet_text
from fleetops.testing.fake_clock import FakeClock

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  menu: &svc
    run: {command: "{python} menu.py"}
    deploy: {alarms: [high-5xx, cpu]}
  orders:
    <<: *svc
    deploy: {alarms: [high-5xx, menu-slow, lazy]}
alarms:
  high-5xx:
    metric: HTTPCode_Target_5XX_Count
    statistic: Sum
    period: 10s
    evaluation_periods: 3
    datapoints_to_alarm: 2
    threshold: 2
    treat_missing_data: notBreaching
  menu-slow:
    service: menu
    metric: TargetResponseTime
    statistic: p99
    period: 10s
    threshold: 0.5
    treat_missing_data: notBreaching
  cpu:
    metric: CPUUtilization
    threshold: 80
  lazy:
    metric: RequestCount
    statistic: Sum
    period: 10s
    threshold: 100
    treat_missing_data: ignore
"""


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.log = tmp_path / "access.jsonl"
        self.log.touch()
        self.clock = FakeClock(T0)
        self.changes: list[tuple[str, str, str, str]] = []
        self.monitor = AlarmMonitor(
            load_fleet_text(FLEET),
            "dev",
            ["menu", "orders"],
            metrics=LocalMetrics(self.log, None, ["menu", "orders"]),
            clock=self.clock,
            on_change=self._changed,
        )

    def _changed(self, before: AlarmStatus, after: AlarmStatus) -> None:
        self.changes.append((after.name, after.service, before.state, after.state))

    def requests(self, service: str, second: float, *statuses: int, response_ms: int = 5) -> None:
        at = T0 + timedelta(seconds=second)
        stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        with self.log.open("a") as handle:
            for status in statuses:
                record = {
                    "timestamp": stamp,
                    "service": service,
                    "instance": f"{service}-1",
                    "status": status,
                    "response_time_ms": response_ms,
                }
                handle.write(json.dumps(record) + "\n")

    def at(self, second: float) -> None:
        self.clock.move_to(T0 + timedelta(seconds=second))


def test_a_template_alarm_has_a_state_per_watching_service(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.requests("orders", 1, 500, 500, 500)
    world.requests("orders", 12, 500, 500, 500)
    world.requests("menu", 12, 500, 200)
    world.at(20.5)
    assert world.monitor.states("orders", ["high-5xx"]) == {"high-5xx": "ALARM"}
    assert world.monitor.states("menu", ["high-5xx"]) == {"high-5xx": "OK"}
    orders = next(s for s in world.monitor.describe(service="orders") if s.name == "high-5xx")
    assert orders.reason == (
        "Threshold Crossed: 2 out of the last 2 datapoints [3.0 (12:00:00), 3.0 (12:00:10)] "
        "were greater than the threshold (2.0) and 1 missing datapoint was treated as [NonBreaching]"
    )


def test_an_alarm_of_another_service_answers_for_that_service(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.requests("menu", 3, 200, response_ms=900)
    world.requests("orders", 3, 200, response_ms=10)
    world.at(10)
    assert world.monitor.states("orders", ["menu-slow"]) == {"menu-slow": "ALARM"}
    assert [(s.name, s.service) for s in world.monitor.describe(state="ALARM")] == [("menu-slow", "menu")]


def test_an_unknown_metric_is_insufficient_data_and_says_why(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.monitor.states("menu", ["cpu", "nope"]) == {"cpu": "INSUFFICIENT_DATA"}
    [cpu] = [s for s in world.monitor.describe() if s.name == "cpu"]
    assert cpu.reason.startswith(
        "Unknown metric: the local provider has no metric 'CPUUtilization' (it has: HTTPCode_ELB_4XX_Count, "
    )


def test_transitions_are_reported_once_with_the_time_they_happened(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.at(5)
    world.monitor.refresh()
    world.requests("orders", 10, 500, 500, 500)
    world.requests("orders", 20, 500, 500, 500)
    world.at(30)
    world.monitor.refresh()
    world.at(31)
    world.monitor.refresh()
    # The evaluation range (5 periods) still holds both breaching periods at 60 s: "CloudWatch
    # alarms might repeatedly re-evaluate the last set of data points ... after the metric has
    # stopped flowing".
    world.at(60)
    world.monitor.refresh()
    world.at(70)
    world.monitor.refresh()
    high = [c for c in world.changes if c[0] == "high-5xx"]
    assert high == [
        ("high-5xx", "menu", "INSUFFICIENT_DATA", "OK"),
        ("high-5xx", "orders", "INSUFFICIENT_DATA", "OK"),
        ("high-5xx", "orders", "OK", "ALARM"),
        ("high-5xx", "orders", "ALARM", "OK"),
    ]
    [status] = [s for s in world.monitor.describe(service="orders") if s.name == "high-5xx"]
    assert (status.state, status.updated_at) == ("OK", T0 + timedelta(seconds=70))


def test_ignore_keeps_the_state_while_data_is_missing(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.requests("orders", 1, *([200] * 101))
    world.at(10)
    assert world.monitor.states("orders", ["lazy"]) == {"lazy": "ALARM"}
    world.at(100)
    assert world.monitor.states("orders", ["lazy"]) == {"lazy": "ALARM"}
    world.requests("orders", 100, 200)
    world.at(110)
    assert world.monitor.states("orders", ["lazy"]) == {"lazy": "OK"}


def test_reads_serve_the_last_evaluation_and_sample_host_counts_once_per_interval(tmp_path: Path) -> None:
    sampled: list[str] = []

    def instances(service: str) -> list[InstanceInfo]:
        sampled.append(service)
        return []

    clock = FakeClock(T0)
    log = tmp_path / "access.jsonl"
    log.touch()
    monitor = AlarmMonitor(
        load_fleet_text(FLEET),
        "dev",
        ["menu", "orders"],
        metrics=LocalMetrics(log, instances, ["menu", "orders"]),
        clock=clock,
    )
    for _ in range(3):
        monitor.states("orders", ["high-5xx"])
        monitor.describe()
    clock.move_to(T0 + timedelta(seconds=0.5))
    monitor.states("menu", ["high-5xx"])
    first = list(sampled)
    clock.move_to(T0 + timedelta(seconds=1))
    monitor.describe(service="menu")
    assert (first, sampled) == (["menu", "orders"], ["menu", "orders", "menu", "orders"])


def test_a_state_set_holds_for_one_period_then_the_evaluation_decides(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.at(1)
    world.monitor.refresh()
    world.changes.clear()
    world.monitor.set_state("high-5xx", "menu", AlarmState.ALARM, "drill")
    world.at(10.5)
    assert world.monitor.states("menu", ["high-5xx"]) == {"high-5xx": "ALARM"}
    world.at(11.5)
    assert world.monitor.states("menu", ["high-5xx"]) == {"high-5xx": "OK"}
    assert world.changes == [
        ("high-5xx", "menu", "OK", "ALARM"),
        ("high-5xx", "menu", "ALARM", "OK"),
    ]


def test_disabled_actions_are_not_told_of_changes(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.at(1)
    world.monitor.refresh()
    world.changes.clear()
    world.monitor.set_actions("high-5xx", "orders", enabled=False)
    world.requests("orders", 10, 500, 500, 500)
    world.requests("orders", 20, 500, 500, 500)
    world.at(30)
    world.monitor.set_state("high-5xx", "menu", AlarmState.ALARM, "drill")
    world.monitor.refresh()
    assert world.monitor.states("orders", ["high-5xx"]) == {"high-5xx": "ALARM"}
    assert [c for c in world.changes if c[0] == "high-5xx"] == [("high-5xx", "menu", "OK", "ALARM")]
    assert (
        world.monitor.actions_enabled("high-5xx", "orders"),
        world.monitor.actions_enabled("high-5xx", "menu"),
    ) == (
        False,
        True,
    )
