"""Plans: instance refresh batches (AWS's documented rules), waves, gates and estimates."""

import math
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetops.errors import BadInput
from fleetops.spec.loader import load_fleet
from fleetops.spec.plan import plan, rollout_batches

EXAMPLE = Path(__file__).parents[2] / "examples" / "restaurant" / "fleet.yaml"


def shape(
    desired: int, low: int, high: int, checkpoints: list[int] | None = None
) -> list[tuple[int, int, int, int | None]]:
    """(replace, launch first, terminate first, checkpoint) per batch."""
    result = rollout_batches(desired, low, high, checkpoints or [])
    return [(b.replace, b.launch_first, b.terminate_first, b.checkpoint) for b in result.batches]


def test_aws_checkpoint_example() -> None:
    # The AWS user guide: 10 instances, checkpoints [20, 50], minimum healthy 80%: batches of
    # 2, 2, then 1 to land exactly on 50%; the refresh pauses at 20% and ends at 50%.
    result = rollout_batches(10, 80, None, [20, 50])
    assert [(b.replace, b.replaced_after, b.checkpoint) for b in result.batches] == [
        (2, 2, 20),
        (2, 4, None),
        (1, 5, None),
    ]
    assert result.notes == ["partial refresh: stops after 5 of 10 (last checkpoint 50%)"]


def test_checkpoints_passed_together_pause_once_at_the_highest() -> None:
    # The AWS user guide: 2 instances, checkpoints [10, 40, 100]: after one replacement 50% is
    # replaced, past 10 and 40, so it pauses once, for 40.
    assert shape(2, 90, None, [10, 40, 100]) == [(1, 0, 1, 40), (1, 0, 1, None)]


def test_default_preferences_replace_ten_percent_at_a_time() -> None:
    assert shape(20, 90, None) == [(2, 0, 2, None)] * 10


def test_max_healthy_above_100_launches_before_terminating() -> None:
    # MinHealthy 100%, MaxHealthy 150% of 4: two batches of 2, new instances first.
    assert shape(4, 100, 150) == [(2, 2, 0, None), (2, 2, 0, None)]


def test_wide_range_launches_and_terminates_in_one_batch() -> None:
    assert shape(4, 50, 150) == [(4, 2, 2, None)]


def test_no_room_with_max_omitted_terminates_first() -> None:
    result = rollout_batches(1, 90, None)
    assert [(b.replace, b.terminate_first) for b in result.batches] == [(1, 1)]
    assert result.notes == [
        "min/max healthy 90%/100% (omitted) of 1 leave no room: "
        "one instance at a time, the old one stops first, briefly below the minimum",
        "batch 1 stops every old instance before a new one is up: downtime",
    ]


def test_no_room_with_max_given_launches_first() -> None:
    result = rollout_batches(2, 100, 100)
    assert [(b.replace, b.launch_first) for b in result.batches] == [(1, 1), (1, 1)]
    assert result.notes == [
        "min/max healthy 100%/100% of 2 leave no room: "
        "one instance at a time, launched before the old one stops, briefly above the maximum"
    ]


def test_zero_desired_has_nothing_to_replace() -> None:
    assert rollout_batches(0, 90, 100).batches == []


def test_restaurant_dev_plan() -> None:
    result = plan(load_fleet(EXAMPLE), "dev", "v2")
    assert result.waves == [["auth", "menu", "notifications"], ["payments"], ["orders"], ["gateway"]]
    assert result.approval is False
    assert result.skipped == []
    orders = next(s for s in result.services if s.name == "orders")
    assert (orders.desired, orders.min_in_service, orders.max_capacity) == (2, 2, 3)
    assert [(b.replace, b.launch_first, b.checkpoint) for b in orders.batches] == [(1, 1, 50), (1, 1, None)]
    # Each batch: drain 1s + healthy after 2 checks of 1s + warmup 1s; then 3s pause, 15s bake.
    assert orders.estimate == timedelta(seconds=4 + 3 + 4 + 15)
    assert orders.gates == [
        "health: GET /health every 1s (timeout 500ms, codes 200): healthy after 2 passes, unhealthy after"
        " 2 failures",
        "warmup: 1s after each new instance is healthy",
        "drain: 1s before each old instance stops (deregistration delay)",
        "alarm high-5xx: Sum of HTTPCode_Target_5XX_Count > 5 for 2 of 3 periods of 5s",
        "alarm slow-p99: p99 of TargetResponseTime > 0.5 for 3 of 3 periods of 5s",
        "checkpoints: pause 3s at 50%",
        "bake: 15s after the last batch, watching alarms",
        "on failure: roll back",
    ]
    # Waves run one after the other; a wave lasts as long as its slowest service.
    assert result.estimate == timedelta(seconds=13 + 13 + 26 + 13)


def test_version_overrides_are_shown() -> None:
    result = plan(load_fleet(EXAMPLE), "dev", "v3-bad", ["orders"])
    assert result.services[0].target == {
        "command": "{python} services/orders.py",
        "version_env": {"FAULT_FAIL_HEALTH_AFTER": "5s"},
    }


def test_prod_plan_needs_approval_and_targets_aws() -> None:
    result = plan(load_fleet(EXAMPLE), "prod", "v2", ["orders"])
    assert result.approval is True
    orders = result.services[0]
    assert orders.target["auto_scaling_group"] == "restaurant-orders"
    assert [(b.replace, b.launch_first) for b in orders.batches] == [(2, 2), (2, 2)]


def test_services_subset_keeps_order_and_names_what_is_skipped() -> None:
    result = plan(load_fleet(EXAMPLE), "dev", None, ["gateway", "orders"])
    assert result.waves == [["orders"], ["gateway"]]
    assert result.skipped == ["auth", "menu", "notifications", "payments"]
    gateway = next(s for s in result.services if s.name == "gateway")
    assert gateway.not_in_plan == ["auth", "menu"]


def test_a_subset_keeps_the_waves_of_the_whole_dependency_graph() -> None:
    # payments depends on auth, gateway on orders, which depends on payments: not planned, they
    # still put gateway two waves after payments, as the deployment runs them.
    result = plan(load_fleet(EXAMPLE), "dev", None, ["gateway", "payments"])
    assert result.waves == [["payments"], ["gateway"]]
    assert [(s.name, s.wave) for s in result.services] == [("payments", 1), ("gateway", 2)]


def test_unknown_environment() -> None:
    with pytest.raises(BadInput, match=r"^unknown environment 'qa' \(known: dev, stage, prod\)$"):
        plan(load_fleet(EXAMPLE), "qa")


def test_unknown_service() -> None:
    with pytest.raises(
        BadInput,
        match=r"^unknown service 'kitchen' \(known: auth, gateway, menu, notifications, orders, payments\)$",
    ):
        plan(load_fleet(EXAMPLE), "dev", None, ["orders", "kitchen"])


@st.composite
def refresh_settings(draw: st.DrawFn) -> tuple[int, int, int | None, list[int]]:
    desired = draw(st.integers(min_value=1, max_value=60))
    low = draw(st.integers(min_value=0, max_value=100))
    high = draw(st.none() | st.integers(min_value=100, max_value=min(200, low + 100)))
    checkpoints = sorted(draw(st.sets(st.integers(min_value=1, max_value=100), max_size=4)))
    return desired, low, high, checkpoints


@settings(max_examples=300, deadline=None)
@given(refresh_settings())
def test_batches_respect_the_healthy_range(case: tuple[int, int, int | None, list[int]]) -> None:
    desired, low, high, checkpoints = case
    result = rollout_batches(desired, low, high, checkpoints)
    last = checkpoints[-1] if checkpoints else 100
    assert sum(b.replace for b in result.batches) == math.ceil(desired * last / 100)
    no_room = result.max_capacity - result.min_in_service < 1
    for batch in result.batches:
        assert batch.replace >= 1
        if not no_room:
            assert desired + batch.launch_first <= result.max_capacity
            assert desired - batch.terminate_first >= result.min_in_service
            assert batch.replace <= result.max_capacity - result.min_in_service
    pauses = [b.checkpoint for b in result.batches if b.checkpoint is not None]
    assert pauses == sorted(set(pauses))
    assert all(p in checkpoints and p != last for p in pauses)
