"""Alarms on metrics of the store (seed 001's "no executions for 10 minutes" on the
orchestrator's own metrics, CPU of a service's group), their history, their persisted action
switches and a composite alarm over them, all on a hand-moved clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fleetops.control.orchestrator_metrics import OrchestratorMetrics
from fleetops.engine import HistoryEvent
from fleetops.ops.alarms import AlarmMonitor, AlarmStatus
from fleetops.ops.alarms.composite import CompositeStatus
from fleetops.ops.alarms.stored_metrics import StoredMetrics
from fleetops.spec.loader import load_fleet, load_fleet_text
from fleetops.store import Store
from fleetops.store.metrics import Sample
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.local import EXAMPLES

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  menu:
    run: {command: "{python} menu.py"}
    deploy: {alarms: [cpu-high]}
alarms:
  state-machine-down: DOWN
  cpu-high:
    namespace: AWS/EC2
    metric: CPUUtilization
    statistic: Average
    period: 1m
    threshold: 80
composite_alarms:
  page:
    rule: ALARM(state-machine-down) AND NOT ALARM(cpu-high)
"""
# The example fleet's rule (seed 001's State_Machine_Down), as the example writes it.
DOWN = load_fleet(EXAMPLES / "fleet.yaml").alarms["state-machine-down"]
FLEET = FLEET.replace("DOWN", json.dumps(DOWN.model_dump(mode="json", exclude={"environments", "actions"})))
STARTED = "arn:aws:states:us-east-1:123456789012:execution:other:run-1"


class World:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock = FakeClock(T0 - timedelta(minutes=10))
        self.changes: list[tuple[datetime, str, str, str]] = []
        self.composite_actions: list[tuple[datetime, str]] = []
        self.metrics = OrchestratorMetrics(store, lambda: ["dev"], clock=self.clock)
        self.monitor = self.new_monitor()

    def new_monitor(self) -> AlarmMonitor:
        return AlarmMonitor(
            load_fleet_text(FLEET),
            "dev",
            ["menu"],
            metrics=None,
            clock=self.clock,
            on_change=self._changed,
            on_composite=self._composite,
            stored=StoredMetrics(self.store.metrics, "dev", lambda service: f"shop-dev-{service}"),
            history=self.store.alarm_history,
        )

    def _changed(self, before: AlarmStatus, after: AlarmStatus) -> None:
        self.changes.append((self.clock.now(), after.name, before.state.value, after.state.value))

    def _composite(self, after: CompositeStatus) -> None:
        self.composite_actions.append((self.clock.now(), after.state.value))

    def minutes(self, count: int, *, executions_at: tuple[int, ...] = (), cpu: float | None = None) -> None:
        """Move ``count`` minutes, one at a time: sample the metrics, then evaluate."""
        for _ in range(count):
            minute = round((self.clock.now() - T0).total_seconds() / 60)
            if minute in executions_at:
                self.metrics.counts.observe(STARTED, HistoryEvent(1, 0, self.clock.now(), "ExecutionStarted"))
            self.clock.step(timedelta(minutes=1))
            self.metrics.sample(self.clock.now())
            if cpu is not None:
                group = "AutoScalingGroupName=shop-dev-menu"
                self.store.metrics.put(
                    [Sample("dev", "AWS/EC2", "CPUUtilization", group, self.clock.now(), cpu)]
                )
            self.monitor.refresh()


def test_no_executions_for_ten_minutes_goes_into_alarm(sqlite_store: Store) -> None:
    world = World(sqlite_store)
    world.monitor.refresh()  # nothing recorded yet: missing data is not breaching
    world.minutes(35, executions_at=(-9, 12))
    assert [c for c in world.changes if c[1] == "state-machine-down"] == [
        # 11:50-12:00 had one execution: OK; 12:00-12:10 none: ALARM; 12:10-12:20 one: OK.
        (T0 - timedelta(minutes=10), "state-machine-down", "INSUFFICIENT_DATA", "OK"),
        (T0 + timedelta(minutes=10), "state-machine-down", "OK", "ALARM"),
        (T0 + timedelta(minutes=20), "state-machine-down", "ALARM", "OK"),
    ]
    history = sqlite_store.alarm_history.list("dev", "state-machine-down")
    assert [(h.at, h.kind, h.old_state, h.new_state) for h in history] == [
        (T0 + timedelta(minutes=20), "StateUpdate", "ALARM", "OK"),
        (T0 + timedelta(minutes=10), "StateUpdate", "OK", "ALARM"),
        (T0 - timedelta(minutes=10), "StateUpdate", "INSUFFICIENT_DATA", "OK"),
    ]
    assert history[1].reason == (
        "Threshold Crossed: 1 out of the last 1 datapoint [0.0 (12:00:00)] was less than the threshold (1.0)"
    )
    assert history[0].summary == "Alarm updated from ALARM to OK"
    # The composite follows it while cpu-high (no CPU data: INSUFFICIENT_DATA) is not in ALARM.
    assert world.composite_actions == [
        (T0 + timedelta(minutes=10), "ALARM"),
        (T0 + timedelta(minutes=20), "OK"),
    ]


def test_a_template_alarm_reads_each_watching_services_group(sqlite_store: Store) -> None:
    world = World(sqlite_store)
    world.minutes(3, executions_at=(-10, -9, -8), cpu=95.0)
    [cpu] = world.monitor.describe(service="menu")
    assert (cpu.name, cpu.state.value) == ("cpu-high", "ALARM")
    assert cpu.reason == (
        "Threshold Crossed: 1 out of the last 1 datapoint [95.0 (11:51:00)] was greater than the "
        "threshold (80.0)"
    )
    [page] = world.monitor.describe_composites()
    # Its reason is that of its last change (its first evaluation, before any CPU sample).
    assert (page.state.value, page.reason) == (
        "OK",
        "Rule FALSE: ALARM(state-machine-down) AND NOT ALARM(cpu-high) "
        "(state-machine-down is OK, cpu-high is INSUFFICIENT_DATA)",
    )


def test_disabled_actions_stay_disabled_over_a_restart_and_are_recorded(sqlite_store: Store) -> None:
    world = World(sqlite_store)
    world.monitor.set_actions("cpu-high", "menu", enabled=False, by="alice")
    world.monitor = world.new_monitor()  # the control plane restarted
    assert world.monitor.actions_enabled("cpu-high", "menu") is False
    world.minutes(2, cpu=95.0)
    assert [c for c in world.changes if c[1] == "cpu-high"] == []
    history = sqlite_store.alarm_history.list("dev", "cpu-high")
    assert [(h.service, h.kind, h.summary, h.reason) for h in history] == [
        ("menu", "Action", "Actions disabled: none run", ""),
        ("menu", "StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM", history[1].reason),
        ("menu", "Action", "Actions disabled", "by alice"),
    ]
    world.monitor.set_actions("cpu-high", "menu", enabled=True, by="alice")
    assert world.new_monitor().actions_enabled("cpu-high", "menu") is True
