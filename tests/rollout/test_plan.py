"""Batch arithmetic and plans: sizes, launch-before-terminate, checkpoints, durations."""

import pytest

from fleetops.rollout.plan import BatchShape, capacity_window, full_batch, plan_refresh
from fleetops.rollout.preferences import RefreshPreferences


@pytest.mark.parametrize(
    ("desired", "min_pct", "max_pct", "shape"),
    [
        (10, 90, None, BatchShape(launch_first=0, terminate_first=1)),  # 10% at a time
        (20, 90, 100, BatchShape(launch_first=0, terminate_first=2)),
        (5, 90, None, BatchShape(launch_first=0, terminate_first=1)),  # 10% of 5 rounds to 0: at least one
        (5, 90, 100, BatchShape(launch_first=1, terminate_first=0)),  # explicit max: launch before terminate
        (4, 100, 100, BatchShape(launch_first=1, terminate_first=0)),  # AWS: one at a time, launch first
        (4, 100, 200, BatchShape(launch_first=4, terminate_first=0)),  # whole group launched first
        (10, 90, 110, BatchShape(launch_first=1, terminate_first=1)),
        (4, 50, 150, BatchShape(launch_first=2, terminate_first=2)),
        (6, 0, None, BatchShape(launch_first=0, terminate_first=6)),  # 0%: all at once
        (3, 66, 133, BatchShape(launch_first=0, terminate_first=1)),  # ceil(1.98)=2 kept, floor(3.99)=3 max
    ],
)
def test_batch_shape(desired: int, min_pct: int, max_pct: int | None, shape: BatchShape) -> None:
    prefs = RefreshPreferences(min_healthy_percentage=min_pct, max_healthy_percentage=max_pct)
    assert full_batch(desired, prefs) == shape


def test_min_healthy_rounds_up_and_max_rounds_down() -> None:
    window = capacity_window(7, RefreshPreferences(min_healthy_percentage=90, max_healthy_percentage=110))
    assert (window.min_healthy, window.max_total) == (7, 7)


def test_plan_of_ten_at_90_percent_is_ten_single_batches() -> None:
    plan = plan_refresh(desired=10, preferences=RefreshPreferences(), deregistration_delay_ms=0)
    assert [b.shape.size for b in plan.batches] == [1] * 10


def test_checkpoints_cut_batches_as_aws_documents() -> None:
    """AWS example: 10 instances, checkpoints [20, 50], min healthy 80: 2, then 2, then 1."""
    prefs = RefreshPreferences(
        min_healthy_percentage=80, checkpoint_percentages=(20, 50), checkpoint_delay_ms=900_000
    )
    plan = plan_refresh(desired=10, preferences=prefs, deregistration_delay_ms=0)
    assert [(b.shape.size, b.percentage_after, b.checkpoints, b.pause_ms) for b in plan.batches] == [
        (2, 20, (20,), 900_000),
        (2, 40, (), 0),
        (1, 50, (50,), 0),
    ]


def test_a_small_group_passes_several_checkpoints_in_one_batch_and_pauses_once() -> None:
    """AWS example: 2 instances, [10, 40, 100]: after one replacement, 50% passes 10 and 40."""
    prefs = RefreshPreferences(min_healthy_percentage=50, checkpoint_percentages=(10, 40, 100))
    plan = plan_refresh(desired=2, preferences=prefs, deregistration_delay_ms=0)
    assert [(b.shape.size, b.checkpoints, b.pause_ms) for b in plan.batches] == [
        (1, (10, 40), 3_600_000),
        (1, (100,), 0),
    ]


def test_a_last_checkpoint_below_100_is_a_partial_refresh() -> None:
    prefs = RefreshPreferences(min_healthy_percentage=50, checkpoint_percentages=(50,))
    plan = plan_refresh(desired=4, preferences=prefs, deregistration_delay_ms=0)
    assert plan.replacements == 2
    assert plan.batches[-1].pause_ms == 0


def test_skip_matching_leaves_instances_already_on_the_target() -> None:
    prefs = RefreshPreferences(skip_matching=True)
    plan = plan_refresh(desired=10, preferences=prefs, deregistration_delay_ms=0, already_on_target=4)
    assert (plan.already_on_target, plan.replacements) == (4, 6)


def test_without_skip_matching_instances_on_the_target_are_replaced_too() -> None:
    plan = plan_refresh(
        desired=10, preferences=RefreshPreferences(), deregistration_delay_ms=0, already_on_target=4
    )
    assert plan.replacements == 10


def test_min_duration_adds_drain_and_warmup_per_batch_pauses_and_bake() -> None:
    prefs = RefreshPreferences(
        min_healthy_percentage=50,
        instance_warmup_ms=60_000,
        checkpoint_percentages=(50, 100),
        checkpoint_delay_ms=600_000,
        bake_time_ms=300_000,
    )
    plan = plan_refresh(desired=4, preferences=prefs, deregistration_delay_ms=30_000)
    assert [b.shape.size for b in plan.batches] == [2, 2]
    assert plan.min_duration_ms == 2 * (30_000 + 60_000) + 600_000 + 300_000
