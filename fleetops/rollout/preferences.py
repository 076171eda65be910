"""`RefreshPreferences`: the options of an instance refresh, validated as AWS validates them.

Names and defaults follow the Auto Scaling API (`RefreshPreferences`, "Understand the default values
for an instance refresh"); durations are milliseconds so the local world can run sub-second
warmups. `RefreshPreferences.from_aws` reads the JSON the seeds pass to
`aws autoscaling start-instance-refresh --preferences '{"MinHealthyPercentage": 90, ...}'`
(seconds), and `to_aws` writes it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleetops.errors import BadInput

DEFAULT_CHECKPOINT_DELAY_MS = 3_600_000
"""AWS: "If you specify a value for CheckpointPercentages and not for CheckpointDelay, the
CheckpointDelay defaults to 3600 (1 hour)"."""
MAX_DELAY_MS = 172_800_000
"""AWS: CheckpointDelay and BakeTime are at most 172800 seconds."""
MAX_ALARMS = 10


@dataclass(frozen=True)
class RefreshPreferences:
    """How an instance refresh replaces instances. Invalid combinations raise `BadInput`."""

    min_healthy_percentage: int = 90
    """Share of desired capacity kept in service, healthy and warmed up (0-100; AWS default 90)."""
    max_healthy_percentage: int | None = None
    """Share of desired capacity the group may grow to, pending included (100-200). None means
    omitted, which AWS documents as behaving differently from an explicit 100: when no replacement
    fits between the two bounds, an explicit value launches before terminating (the group briefly
    exceeds it), an omitted one terminates and launches together (the group briefly drops below
    the minimum)."""
    instance_warmup_ms: int = 0
    """Time after a new instance is in service before it counts as updated (AWS: the group's
    default instance warmup; a rollout has no group, so the caller passes the service's value)."""
    checkpoint_percentages: tuple[int, ...] = ()
    """Ascending, unique 1-100: pause after this share of the group is new. A last value below 100
    stops the refresh there (a partial refresh)."""
    checkpoint_delay_ms: int | None = None
    """Pause at each checkpoint; only with checkpoint_percentages; defaults to one hour."""
    bake_time_ms: int = 0
    """Wait after the last replacement before the refresh is Successful (status Baking)."""
    skip_matching: bool = False
    """Leave instances already on the target release alone."""
    auto_rollback: bool = False
    """On failure (health, alarm), replace the new instances back with the previous release."""
    alarms: tuple[str, ...] = ()
    """AlarmSpecification.Alarms: the refresh fails if one of them goes into ALARM (at most 10)."""

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise BadInput("invalid instance refresh preferences", problems)

    def _problems(self) -> list[str]:
        problems: list[str] = []
        if not 0 <= self.min_healthy_percentage <= 100:
            problems.append(f"MinHealthyPercentage must be 0-100, got {self.min_healthy_percentage}")
        if self.max_healthy_percentage is not None:
            if not 100 <= self.max_healthy_percentage <= 200:
                problems.append(f"MaxHealthyPercentage must be 100-200, got {self.max_healthy_percentage}")
            elif self.max_healthy_percentage - self.min_healthy_percentage > 100:
                problems.append(
                    "MaxHealthyPercentage minus MinHealthyPercentage cannot exceed 100, got "
                    f"{self.max_healthy_percentage} - {self.min_healthy_percentage}"
                )
        if self.instance_warmup_ms < 0:
            problems.append(f"InstanceWarmup cannot be negative, got {self.instance_warmup_ms} ms")
        points = self.checkpoint_percentages
        if any(not 1 <= p <= 100 for p in points):
            problems.append(f"CheckpointPercentages must each be 1-100, got {list(points)}")
        if list(points) != sorted(set(points)):
            problems.append(f"CheckpointPercentages must be ascending and unique, got {list(points)}")
        if self.checkpoint_delay_ms is not None:
            if not points:
                problems.append("CheckpointDelay requires CheckpointPercentages")
            if not 0 <= self.checkpoint_delay_ms <= MAX_DELAY_MS:
                problems.append(f"CheckpointDelay must be 0-172800 s, got {self.checkpoint_delay_ms} ms")
        if not 0 <= self.bake_time_ms <= MAX_DELAY_MS:
            problems.append(f"BakeTime must be 0-172800 s, got {self.bake_time_ms} ms")
        if len(self.alarms) > MAX_ALARMS:
            problems.append(f"AlarmSpecification accepts at most {MAX_ALARMS} alarms, got {len(self.alarms)}")
        return problems

    @property
    def effective_max_healthy_percentage(self) -> int:
        """The upper bound in force: 100 when omitted."""
        return 100 if self.max_healthy_percentage is None else self.max_healthy_percentage

    @property
    def effective_checkpoint_delay_ms(self) -> int:
        """The pause at a checkpoint: the given delay, else one hour."""
        if self.checkpoint_delay_ms is None:
            return DEFAULT_CHECKPOINT_DELAY_MS
        return self.checkpoint_delay_ms

    @classmethod
    def from_aws(cls, preferences: Mapping[str, Any]) -> RefreshPreferences:
        """Read the AWS `Preferences` JSON (durations in seconds); unknown keys are bad input."""
        known = {
            "MinHealthyPercentage",
            "MaxHealthyPercentage",
            "InstanceWarmup",
            "CheckpointPercentages",
            "CheckpointDelay",
            "BakeTime",
            "SkipMatching",
            "AutoRollback",
            "AlarmSpecification",
        }
        unknown = sorted(set(preferences) - known)
        if unknown:
            raise BadInput(
                "invalid instance refresh preferences",
                [f"unknown preference {key!r}; expected one of {sorted(known)}" for key in unknown],
            )

        def ms(key: str) -> int | None:
            value = preferences.get(key)
            return None if value is None else int(value) * 1000

        alarms = preferences.get("AlarmSpecification", {}).get("Alarms", [])
        return cls(
            min_healthy_percentage=int(preferences.get("MinHealthyPercentage", 90)),
            max_healthy_percentage=preferences.get("MaxHealthyPercentage"),
            instance_warmup_ms=ms("InstanceWarmup") or 0,
            checkpoint_percentages=tuple(preferences.get("CheckpointPercentages", ())),
            checkpoint_delay_ms=ms("CheckpointDelay"),
            bake_time_ms=ms("BakeTime") or 0,
            skip_matching=bool(preferences.get("SkipMatching", False)),
            auto_rollback=bool(preferences.get("AutoRollback", False)),
            alarms=tuple(alarms),
        )

    def to_aws(self) -> dict[str, Any]:
        """The AWS `Preferences` JSON (seconds, rounded down), omitting what was omitted."""
        out: dict[str, Any] = {
            "MinHealthyPercentage": self.min_healthy_percentage,
            "InstanceWarmup": self.instance_warmup_ms // 1000,
            "SkipMatching": self.skip_matching,
            "AutoRollback": self.auto_rollback,
            "BakeTime": self.bake_time_ms // 1000,
        }
        if self.max_healthy_percentage is not None:
            out["MaxHealthyPercentage"] = self.max_healthy_percentage
        if self.checkpoint_percentages:
            out["CheckpointPercentages"] = list(self.checkpoint_percentages)
            out["CheckpointDelay"] = self.effective_checkpoint_delay_ms // 1000
        if self.alarms:
            out["AlarmSpecification"] = {"Alarms": list(self.alarms)}
        return out
