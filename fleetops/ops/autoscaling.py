"""Target tracking on CPU, with the semantics of an EC2 Auto Scaling target tracking policy.

What AWS documents, and how it is applied here (``TargetTrackingPolicy.decide``):

- The metric is the group's average CPU utilization over its instances; "instances that are
  still warming up are not counted toward the aggregated metrics": samples of instances younger
  than the warmup are left out, and with no warmed sample there is no decision (missing data).
- Scale out when the metric is above the target, proportionally: desired =
  ceil(capacity x metric / target), bounded by max.
- Scale in "more gradually" (AWS: conservatively, to protect availability): when the metric is
  below the target and the proportional capacity is lower, remove one instance per activity,
  bounded by min; ``disable_scale_in`` turns scale-in off.
- A small tolerance around the target (10% of it, as AWS keeps a hidden one) prevents flapping
  between two capacities when the metric hovers near the target.
- Cooldowns: after a scale-out, no further scale-out for ``scale_out_cooldown_s``; a scale-in
  waits ``scale_in_cooldown_s`` after any scaling activity, and a scale-out may interrupt a
  scale-in cooldown (availability first). Simplification: AWS lets a scale-out inside its own
  cooldown add capacity beyond the previous one; here the cooldown blocks it.

Pure: the clock is injected (seconds, monotonic), so every rule is unit-tested without sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fleetops.errors import BadInput

TOLERANCE = 0.1
"""Share of the target within which the metric counts as on target."""


@dataclass(frozen=True)
class TargetTracking:
    """A target tracking policy on average CPU utilization, with the group's bounds."""

    target_cpu: float
    """Target average CPU utilization, percent of one core per instance (1-100)."""
    min: int
    max: int
    scale_out_cooldown_s: float = 300.0
    scale_in_cooldown_s: float = 300.0
    warmup_s: float = 0.0
    """Instances younger than this are left out of the metric."""
    disable_scale_in: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.target_cpu <= 100:
            problems.append(f"target CPU must be above 0 and at most 100 percent, got {self.target_cpu}")
        if not 0 <= self.min <= self.max:
            problems.append(
                f"capacity bounds must satisfy 0 <= min <= max, got min {self.min}, max {self.max}"
            )
        if min(self.scale_out_cooldown_s, self.scale_in_cooldown_s, self.warmup_s) < 0:
            problems.append("cooldowns and warmup cannot be negative")
        if problems:
            raise BadInput("invalid target tracking policy", problems)


@dataclass(frozen=True)
class CpuSample:
    """One instance's CPU utilization over the last sampling interval."""

    instance_id: str
    cpu_percent: float
    age_s: float
    """Seconds since the instance was launched."""


@dataclass(frozen=True)
class ScalingDecision:
    """A change of desired capacity and why."""

    desired: int
    reason: str


class TargetTrackingPolicy:
    """Decides desired capacity from CPU samples; remembers its last scaling activities."""

    def __init__(self, config: TargetTracking, clock: Callable[[], float]) -> None:
        self.config = config
        self._clock = clock
        self._last_out: float | None = None
        self._last_activity: float | None = None

    def metric(self, samples: Sequence[CpuSample]) -> float | None:
        """Average CPU of the warmed-up instances; None when there is none."""
        warmed = [s.cpu_percent for s in samples if s.age_s >= self.config.warmup_s]
        return sum(warmed) / len(warmed) if warmed else None

    def decide(self, capacity: int, samples: Sequence[CpuSample]) -> ScalingDecision | None:
        """The new desired capacity, or None to leave ``capacity`` as it is."""
        config = self.config
        bounded = min(max(capacity, config.min), config.max)
        if bounded != capacity:
            return self._act(
                bounded, f"capacity {capacity} outside {config.min}..{config.max}", out=bounded > capacity
            )
        value = self.metric(samples)
        if value is None:
            return None
        now = self._clock()
        proportional = math.ceil(capacity * value / config.target_cpu) if capacity else config.min
        above = value > config.target_cpu * (1 + TOLERANCE)
        below = value < config.target_cpu * (1 - TOLERANCE)
        if above and capacity < config.max:
            if self._last_out is not None and now - self._last_out < config.scale_out_cooldown_s:
                return None
            desired = min(max(proportional, capacity + 1), config.max)
            return self._act(desired, f"CPU {value:.0f}% above target {config.target_cpu:.0f}%", out=True)
        if below and not config.disable_scale_in and capacity > config.min and proportional < capacity:
            if self._last_activity is not None and now - self._last_activity < config.scale_in_cooldown_s:
                return None
            return self._act(
                capacity - 1, f"CPU {value:.0f}% below target {config.target_cpu:.0f}%", out=False
            )
        return None

    def _act(self, desired: int, reason: str, *, out: bool) -> ScalingDecision:
        now = self._clock()
        if out:
            self._last_out = now
        self._last_activity = now
        return ScalingDecision(desired, reason)

    def note_manual_change(self) -> None:
        """An operator set the capacity: cooldowns start again from now."""
        self._last_activity = self._clock()
