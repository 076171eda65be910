"""Target tracking on CPU: proportional scale-out, gradual scale-in, cooldowns, bounds, warmup."""

from __future__ import annotations

import pytest

from fleetops.errors import BadInput
from fleetops.ops.autoscaling import CpuSample, ScalingDecision, TargetTracking, TargetTrackingPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def policy(clock: Clock, **changes: float) -> TargetTrackingPolicy:
    settings = {
        "target_cpu": 50.0,
        "min": 1,
        "max": 6,
        "scale_out_cooldown_s": 30.0,
        "scale_in_cooldown_s": 60.0,
    }
    settings.update(changes)
    return TargetTrackingPolicy(TargetTracking(**settings), clock)  # type: ignore[arg-type]


def cpu(*percents: float, age_s: float = 600.0) -> list[CpuSample]:
    return [CpuSample(f"i-{n}", p, age_s) for n, p in enumerate(percents)]


def test_scale_out_is_proportional_to_the_metric() -> None:
    # 2 instances at 90% against 50%: ceil(2 * 90 / 50) = 4.
    assert policy(Clock()).decide(2, cpu(90, 90)) == ScalingDecision(4, "CPU 90% above target 50%")


def test_scale_out_stops_at_max() -> None:
    assert policy(Clock()).decide(4, cpu(100, 100, 100, 100)) == ScalingDecision(
        6, "CPU 100% above target 50%"
    )


def test_no_change_within_the_tolerance_around_the_target() -> None:
    assert policy(Clock()).decide(2, cpu(53, 54)) is None


def test_scale_in_removes_one_instance_at_a_time() -> None:
    assert policy(Clock()).decide(4, cpu(5, 5, 5, 5)) == ScalingDecision(3, "CPU 5% below target 50%")


def test_scale_in_stops_at_min() -> None:
    assert policy(Clock()).decide(1, cpu(1)) is None


def test_scale_in_needs_a_lower_proportional_capacity() -> None:
    # 2 instances at 40%: ceil(2 * 40 / 50) = 2, removing one would push the other to 80%.
    assert policy(Clock()).decide(2, cpu(40, 40)) is None


def test_scale_out_cooldown_blocks_a_second_scale_out() -> None:
    clock = Clock()
    scaler = policy(clock)
    assert scaler.decide(1, cpu(100)) == ScalingDecision(2, "CPU 100% above target 50%")
    clock.now += 29
    assert scaler.decide(2, cpu(100, 100)) is None
    clock.now += 1
    assert scaler.decide(2, cpu(100, 100)) == ScalingDecision(4, "CPU 100% above target 50%")


def test_scale_in_waits_its_cooldown_after_any_activity() -> None:
    clock = Clock()
    scaler = policy(clock)
    scaler.decide(1, cpu(100))
    clock.now += 59
    assert scaler.decide(2, cpu(5, 5)) is None
    clock.now += 1
    assert scaler.decide(2, cpu(5, 5)) == ScalingDecision(1, "CPU 5% below target 50%")


def test_scale_out_interrupts_a_scale_in_cooldown() -> None:
    clock = Clock()
    scaler = policy(clock)
    assert scaler.decide(3, cpu(5, 5, 5)) == ScalingDecision(2, "CPU 5% below target 50%")
    clock.now += 1
    assert scaler.decide(2, cpu(100, 100)) == ScalingDecision(4, "CPU 100% above target 50%")


def test_instances_in_warmup_are_left_out_of_the_metric() -> None:
    scaler = policy(Clock(), warmup_s=60.0)
    samples = [CpuSample("old", 20.0, 600.0), CpuSample("new", 100.0, 10.0)]
    assert scaler.metric(samples) == 20.0


def test_no_decision_without_warmed_samples() -> None:
    assert policy(Clock(), warmup_s=60.0).decide(2, cpu(100, 100, age_s=5)) is None


def test_capacity_outside_the_bounds_is_brought_back() -> None:
    assert policy(Clock()).decide(9, cpu(50)) == ScalingDecision(6, "capacity 9 outside 1..6")


def test_disabled_scale_in_never_scales_in() -> None:
    clock = Clock()
    scaler = TargetTrackingPolicy(TargetTracking(target_cpu=50, min=1, max=4, disable_scale_in=True), clock)
    assert scaler.decide(3, cpu(1, 1, 1)) is None


def test_manual_change_restarts_the_scale_in_cooldown() -> None:
    clock = Clock()
    scaler = policy(clock)
    scaler.note_manual_change()
    assert scaler.decide(3, cpu(1, 1, 1)) is None


def test_invalid_settings_are_refused_with_every_problem() -> None:
    with pytest.raises(BadInput) as caught:
        TargetTracking(target_cpu=0, min=3, max=2, scale_in_cooldown_s=-1)
    assert caught.value.problems == [
        "target CPU must be above 0 and at most 100 percent, got 0",
        "capacity bounds must satisfy 0 <= min <= max, got min 3, max 2",
        "cooldowns and warmup cannot be negative",
    ]
