"""Simple scaling's arithmetic, as AWS documents it: the three adjustment types, percent
rounding and MinAdjustmentMagnitude, the group's bounds, the cooldown's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.errors import BadInput
from fleetops.ops.simple_scaling import SimpleScalingPolicy, cooldown_end, new_capacity

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _new(kind: str, adjustment: int, current: int, magnitude: int | None = None) -> int:
    policy = SimpleScalingPolicy("p", kind, adjustment, min_adjustment_magnitude=magnitude)
    return new_capacity(policy, current, minimum=1, maximum=20)


@pytest.mark.parametrize(
    ("kind", "adjustment", "current", "magnitude", "expected"),
    [
        ("ChangeInCapacity", 2, 3, None, 5),
        ("ChangeInCapacity", -5, 3, None, 1),  # bounded by min
        ("ExactCapacity", 25, 3, None, 20),  # bounded by max
        ("PercentChangeInCapacity", 50, 3, None, 4),  # +1.5 truncates to +1
        ("PercentChangeInCapacity", 10, 3, None, 4),  # +0.3 counts as +1
        ("PercentChangeInCapacity", -10, 3, None, 2),  # -0.3 counts as -1
        ("PercentChangeInCapacity", -67, 10, None, 4),  # -6.7 truncates to -6
        ("PercentChangeInCapacity", 10, 10, 3, 13),  # +1 raised to the magnitude
    ],
)
def test_the_new_capacity(
    kind: str, adjustment: int, current: int, magnitude: int | None, expected: int
) -> None:
    assert _new(kind, adjustment, current, magnitude) == expected


def test_a_bad_policy_names_every_problem() -> None:
    with pytest.raises(BadInput) as caught:
        SimpleScalingPolicy("p", "ChangeInCapacity", 1, min_adjustment_magnitude=2, cooldown_s=-1)
    assert caught.value.problems == [
        "MinAdjustmentMagnitude is only valid with AdjustmentType PercentChangeInCapacity",
        "Cooldown -1 cannot be negative",
    ]


def test_the_cooldown_ends_after_the_latest_runs_own_cooldown() -> None:
    short = SimpleScalingPolicy("in", "ChangeInCapacity", -1, cooldown_s=60)
    default = SimpleScalingPolicy("out", "ChangeInCapacity", 1)
    assert cooldown_end([(T0, default), (T0 + timedelta(seconds=100), short)]) == T0 + timedelta(seconds=300)
    assert cooldown_end([]) is None
