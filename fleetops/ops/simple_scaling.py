"""Simple scaling, with the semantics of an EC2 Auto Scaling simple scaling policy.

What AWS documents, and how it is applied here (``new_capacity``, ``cooldown_end``):

- ``ChangeInCapacity`` adds the adjustment to the current capacity (negative: removes);
  ``ExactCapacity`` sets it; ``PercentChangeInCapacity`` adds that percentage of the current
  capacity, rounded as AWS rounds: a change above 1 (or below -1) is truncated toward zero, a
  change between 0 and 1 (or -1 and 0) counts as 1 (-1). ``MinAdjustmentMagnitude`` (percent
  policies only) raises a smaller change to that many instances.
- The result is bounded by the group's minimum and maximum sizes.
- Cooldown: after a simple policy changed the group's capacity, a policy run that honours the
  cooldown (every alarm-triggered run; ``ExecutePolicy`` with ``HonorCooldown``) waits until the
  policy's ``Cooldown`` (the group's default cooldown, 300 s, when it has none) has passed.

Pure: times are given, so every rule is unit-tested without sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetops.errors import BadInput

ADJUSTMENT_TYPES = ("ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity")
DEFAULT_COOLDOWN_S = 300
"""The group's ``DefaultCooldown`` (AWS's default; DescribeAutoScalingGroups shows it)."""


@dataclass(frozen=True)
class SimpleScalingPolicy:
    """One simple scaling policy of a group."""

    name: str
    adjustment_type: str
    """ChangeInCapacity, ExactCapacity or PercentChangeInCapacity."""
    scaling_adjustment: int
    min_adjustment_magnitude: int | None = None
    """Only for PercentChangeInCapacity: the smallest change, in instances."""
    cooldown_s: int | None = None
    """None: the group's default cooldown."""
    enabled: bool = True

    def __post_init__(self) -> None:
        problems = []
        if self.adjustment_type not in ADJUSTMENT_TYPES:
            problems.append(
                f"AdjustmentType {self.adjustment_type!r} is not one of {', '.join(ADJUSTMENT_TYPES)}"
            )
        if self.adjustment_type == "ExactCapacity" and self.scaling_adjustment < 0:
            problems.append(
                f"ScalingAdjustment {self.scaling_adjustment} of an ExactCapacity policy cannot be negative"
            )
        if self.min_adjustment_magnitude is not None:
            if self.adjustment_type != "PercentChangeInCapacity":
                problems.append(
                    "MinAdjustmentMagnitude is only valid with AdjustmentType PercentChangeInCapacity"
                )
            elif self.min_adjustment_magnitude < 1:
                problems.append(f"MinAdjustmentMagnitude {self.min_adjustment_magnitude} must be at least 1")
        if self.cooldown_s is not None and self.cooldown_s < 0:
            problems.append(f"Cooldown {self.cooldown_s} cannot be negative")
        if problems:
            raise BadInput(f"invalid simple scaling policy {self.name!r}", problems)

    @property
    def cooldown(self) -> timedelta:
        """The wait after this policy changed the capacity."""
        return timedelta(seconds=DEFAULT_COOLDOWN_S if self.cooldown_s is None else self.cooldown_s)


def new_capacity(policy: SimpleScalingPolicy, current: int, *, minimum: int, maximum: int) -> int:
    """The capacity ``policy`` sets on a group at ``current``, within ``minimum``..``maximum``."""
    adjustment = policy.scaling_adjustment
    if policy.adjustment_type == "ExactCapacity":
        wanted = adjustment
    elif policy.adjustment_type == "ChangeInCapacity":
        wanted = current + adjustment
    else:
        change = current * adjustment / 100
        step = math.trunc(change) if abs(change) >= 1 else int(math.copysign(1, change)) if change else 0
        magnitude = policy.min_adjustment_magnitude
        if magnitude is not None and step and abs(step) < magnitude:
            step = int(math.copysign(magnitude, step))
        wanted = current + step
    return max(minimum, min(maximum, wanted))


def cooldown_end(runs: Iterable[tuple[datetime, SimpleScalingPolicy]]) -> datetime | None:
    """When the group's cooldown ends, from its policies' last capacity changes (when, which
    policy); None when no simple policy has changed it."""
    ends = [at + policy.cooldown for at, policy in runs]
    return max(ends) if ends else None
