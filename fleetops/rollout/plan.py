"""The batch arithmetic of an instance refresh, and the plan it implies. Pure functions.

`InstanceRefresh` sizes every batch with `next_batch` and pauses with `checkpoints_reached`, so a
`RefreshPlan` from `plan_refresh` is exactly what a refresh does when every instance is healthy at
its first probe; its `min_duration_ms` is therefore a true lower bound.

The rules, and where they come from (Amazon EC2 Auto Scaling User Guide):

- Bounds. Minimum healthy = ceil(desired x MinHealthyPercentage / 100) instances in service,
  healthy and warmed up (the API reference: "rounded up to the nearest integer"). Maximum =
  floor(desired x MaxHealthyPercentage / 100) instances in service or pending (AWS is silent on
  this rounding; rounding down keeps the group inside the bound it was given).
- Batch. "If the minimum healthy percentage is 90 percent and the maximum healthy percentage is
  100 percent, then 10 percent of capacity will be replaced at a time": a batch replaces
  (desired - minimum) instances by terminating first, plus (maximum - desired) by launching first,
  launching first preferred when a batch is cut short.
- At least one. When that sum is zero, AWS replaces one instance anyway: "When
  MaxHealthyPercentage is explicitly set and it is mathematically impossible to replace instances
  while honoring both ... bounds simultaneously, Auto Scaling launches a new instance before
  terminating an old one (temporarily exceeding the desired capacity). When MaxHealthyPercentage
  is omitted, Auto Scaling terminates an instance and launches its replacement simultaneously."
- Checkpoints. A checkpoint is reached when the share of new instances is at or above it; "To reach
  a checkpoint percentage, Amazon EC2 Auto Scaling will sometimes replace fewer but never more than
  what the minimum healthy percentage allows"; in small groups one batch may pass several
  checkpoints ("it skips the first checkpoint (10) and sends a notification for the second (40)"):
  the refresh pauses once. A last checkpoint below 100 ends the refresh there.
- Choices where AWS is silent: no pause at the last checkpoint (nothing follows it; BakeTime is the
  documented wait at the end); checkpoints already met before any replacement (skip matching) are
  passed without a pause; the share counts instances on the target release, skipped ones included.

Timing lower bound of one batch: the deregistration delay (every batch retires old instances,
before or after its launches) plus the instance warmup (a new instance counts once healthy, which
it can be at its first probe, and warmed up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fleetops.rollout.preferences import RefreshPreferences


@dataclass(frozen=True)
class CapacityWindow:
    """The instance counts a refresh stays within."""

    desired: int
    min_healthy: int
    """In service, healthy and warmed up, at all times (except the documented at-least-one case)."""
    max_total: int
    """In service or pending, at all times (except the documented at-least-one case)."""


@dataclass(frozen=True)
class BatchShape:
    """How many instances one batch replaces, and how."""

    launch_first: int
    """Replacements launched before their old instance is drained (the group grows)."""
    terminate_first: int
    """Old instances drained and terminated before their replacement launches (the group shrinks)."""

    @property
    def size(self) -> int:
        """Instances replaced by the batch."""
        return self.launch_first + self.terminate_first


def capacity_window(desired: int, preferences: RefreshPreferences) -> CapacityWindow:
    """The bounds MinHealthyPercentage and MaxHealthyPercentage set on a group of `desired`."""
    return CapacityWindow(
        desired=desired,
        min_healthy=math.ceil(desired * preferences.min_healthy_percentage / 100),
        max_total=desired * preferences.effective_max_healthy_percentage // 100,
    )


def full_batch(desired: int, preferences: RefreshPreferences) -> BatchShape:
    """The largest batch the bounds allow (at least one replacement, as AWS documents)."""
    window = capacity_window(desired, preferences)
    down = desired - window.min_healthy
    extra = window.max_total - desired
    if down + extra > 0:
        return BatchShape(launch_first=extra, terminate_first=down)
    if preferences.max_healthy_percentage is not None:
        return BatchShape(launch_first=1, terminate_first=0)
    return BatchShape(launch_first=0, terminate_first=1)


def percentage(on_target: int, desired: int) -> int:
    """PercentageComplete: whole percent of the group on the target release (100 when empty)."""
    return 100 if desired == 0 else 100 * on_target // desired


def target_count(desired: int, preferences: RefreshPreferences) -> int:
    """How many instances are on the target release when the refresh is done."""
    if preferences.checkpoint_percentages:
        return math.ceil(desired * preferences.checkpoint_percentages[-1] / 100)
    return desired


def next_batch(
    full: BatchShape,
    *,
    desired: int,
    on_target: int,
    replaceable: int,
    preferences: RefreshPreferences,
) -> BatchShape:
    """The next batch: the full batch, cut to what is left and to the next checkpoint."""
    size = min(full.size, replaceable, target_count(desired, preferences) - on_target)
    for point in preferences.checkpoint_percentages:
        needed = math.ceil(desired * point / 100) - on_target
        if needed > 0:
            size = min(size, needed)
            break
    size = max(size, 0)
    launch_first = min(size, full.launch_first)
    return BatchShape(launch_first=launch_first, terminate_first=size - launch_first)


def checkpoints_reached(
    preferences: RefreshPreferences, *, before: int, after: int, desired: int
) -> tuple[int, ...]:
    """Checkpoints passed when the count on the target release goes from `before` to `after`."""
    was, now = percentage(before, desired), percentage(after, desired)
    return tuple(p for p in preferences.checkpoint_percentages if was < p <= now)


@dataclass(frozen=True)
class PlannedBatch:
    """One batch of a plan."""

    shape: BatchShape
    on_target_after: int
    """Instances on the target release once the batch is done."""
    percentage_after: int
    checkpoints: tuple[int, ...]
    """Checkpoint percentages this batch reaches (several in small groups)."""
    pause_ms: int
    """The checkpoint delay that follows the batch (0 if none)."""
    min_duration_ms: int
    """Deregistration delay plus warmup, not counting launch and probe latency."""


@dataclass(frozen=True)
class RefreshPlan:
    """What a refresh will do to a group, and the least time it can take."""

    window: CapacityWindow
    already_on_target: int
    """Instances skipped because they already run the target release (SkipMatching)."""
    batches: tuple[PlannedBatch, ...]
    bake_time_ms: int
    min_duration_ms: int

    @property
    def replacements(self) -> int:
        """Instances the refresh replaces."""
        return sum(batch.shape.size for batch in self.batches)


def plan_refresh(
    *,
    desired: int,
    preferences: RefreshPreferences,
    deregistration_delay_ms: int,
    already_on_target: int = 0,
) -> RefreshPlan:
    """The batches a refresh of `desired` instances makes, and its lower-bound duration.

    `already_on_target` instances run the target release already; they are skipped only with
    SkipMatching, otherwise replaced like the others.
    """
    skipped = already_on_target if preferences.skip_matching else 0
    full = full_batch(desired, preferences)
    on_target, replaceable = skipped, desired - skipped
    batch_ms = deregistration_delay_ms + preferences.instance_warmup_ms
    goal = target_count(desired, preferences)
    batches: list[PlannedBatch] = []
    while on_target < goal and replaceable > 0:
        shape = next_batch(
            full, desired=desired, on_target=on_target, replaceable=replaceable, preferences=preferences
        )
        after = on_target + shape.size
        reached = checkpoints_reached(preferences, before=on_target, after=after, desired=desired)
        more = after < goal and replaceable - shape.size > 0
        pause = preferences.effective_checkpoint_delay_ms if reached and more else 0
        batches.append(
            PlannedBatch(
                shape=shape,
                on_target_after=after,
                percentage_after=percentage(after, desired),
                checkpoints=reached,
                pause_ms=pause,
                min_duration_ms=batch_ms,
            )
        )
        on_target, replaceable = after, replaceable - shape.size
    total = sum(b.min_duration_ms + b.pause_ms for b in batches) + preferences.bake_time_ms
    return RefreshPlan(
        window=capacity_window(desired, preferences),
        already_on_target=skipped,
        batches=tuple(batches),
        bake_time_ms=preferences.bake_time_ms,
        min_duration_ms=total,
    )
