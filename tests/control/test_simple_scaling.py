"""A service's simple scaling policies run by its alarms (through ``AlarmActions``) and by hand:
the capacity changes within the group's bounds, the activity names the policy, the cooldown
recorded in the store holds the next alarm-triggered run, and what was done is in the alarm's
history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.control import simple_scaling
from fleetops.errors import Refused
from fleetops.ops.alarms import AlarmActions, AlarmState, AlarmStatus
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.store.maintenance import scope_of
from fleetops.store.simple_policies import SimplePolicyRow
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  menu:
    run: {command: "{python} menu.py"}
    instances: {min: 1, desired: 2, max: 5}
alarms:
  cpu-high:
    service: menu
    namespace: AWS/EC2
    metric: CPUUtilization
    threshold: 80
    actions: {scaling_policies: [scale-out, missing]}
"""


def _policy(name: str, adjustment: int, cooldown_s: int | None) -> SimplePolicyRow:
    return SimplePolicyRow(
        environment="dev", service="menu", name=name, adjustment_type="ChangeInCapacity",
        scaling_adjustment=adjustment, min_adjustment_magnitude=None, cooldown_s=cooldown_s,
        enabled=True, executed_at=None, updated_at=T0, updated_by="operator",
    )  # fmt: skip


def test_an_alarm_runs_its_policies_and_the_cooldown_holds_the_next_run(sqlite_store: Store) -> None:
    fleet = load_fleet_text(FLEET)
    clock = FakeClock(T0)
    runtime = InMemoryFleetRuntime(fleet, "dev", clock=clock)
    sqlite_store.simple_policies.put(_policy("scale-out", 2, 600))

    def execute(service: str, policy: str, alarm: str) -> str:
        return simple_scaling.execute(
            sqlite_store, runtime, service, policy, honor_cooldown=True, clock=clock,
            trigger=f"a monitor alarm {alarm} in state ALARM triggered policy",
            desired=lambda name: runtime.desired[name],
        ).describe()  # fmt: skip

    actions = AlarmActions(
        sqlite_store, fleet, "dev", clock=clock, run=lambda send: send(), execute_policy=execute
    )
    ok = AlarmStatus("cpu-high", "menu", fleet.alarms["cpu-high"], AlarmState.OK, "fine", T0)
    alarm = AlarmStatus("cpu-high", "menu", fleet.alarms["cpu-high"], AlarmState.ALARM, "CPU 95", T0)
    actions(ok, alarm)
    clock.move_to(T0 + timedelta(seconds=60))
    actions(ok, alarm)  # within the 600 s cooldown: not run
    assert runtime.desired["menu"] == 4
    (activity,) = runtime.scaling_activities("menu")
    assert (activity.before, activity.after, activity.cause) == (
        2, 4, "a monitor alarm cpu-high in state ALARM triggered policy scale-out",
    )  # fmt: skip
    row = sqlite_store.simple_policies.get("dev", "menu", "scale-out")
    assert row is not None and row.executed_at == T0
    history = sqlite_store.alarm_history.list("dev", "cpu-high")
    assert [(h.summary, h.reason) for h in reversed(history)] == [
        ("Scaling policy scale-out run", "desired capacity 2 -> 4"),
        ("Scaling policy missing not run", "service 'menu' of dev has no simple scaling policy 'missing'"),
        ("Scaling policy scale-out not run",
         "the cooldown of 'menu' runs until 2026-11-22T12:10:00Z (a simple scaling policy changed its "
         "capacity): the policy was not run"),
        ("Scaling policy missing not run", "service 'menu' of dev has no simple scaling policy 'missing'"),
    ]  # fmt: skip


def test_a_run_by_hand_may_skip_the_cooldown_and_stops_at_the_groups_bounds(sqlite_store: Store) -> None:
    fleet = load_fleet_text(FLEET)
    clock = FakeClock(T0)
    runtime = InMemoryFleetRuntime(fleet, "dev", clock=clock)
    sqlite_store.simple_policies.put(_policy("scale-in", -3, None))
    sqlite_store.simple_policies.executed("dev", "menu", "scale-in", T0)  # the default 300 s runs

    def run(honor: bool) -> simple_scaling.Executed:
        return simple_scaling.execute(
            sqlite_store, runtime, "menu", "scale-in", honor_cooldown=honor, clock=clock,
            trigger="a user request executed policy", desired=lambda name: runtime.desired[name],
        )  # fmt: skip

    with pytest.raises(simple_scaling.InCooldown):
        run(True)
    assert (run(False).after, runtime.desired["menu"]) == (1, 1)  # 2 - 3, bounded by min 1
    assert run(False).describe() == "desired capacity stays 1 (at the group's bounds)"
    sqlite_store.maintenance.start(
        scope=scope_of("dev"),
        reason="upgrade",
        started_by="operator",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=1),
    )
    with pytest.raises(Refused, match="maintenance"):
        run(False)
