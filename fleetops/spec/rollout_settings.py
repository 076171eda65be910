"""A service's fleet file settings as the rollout's value objects (the same rules, one source).

The fleet file validates with the same limits as :mod:`fleetops.rollout`, so a valid file always
converts.
"""

from __future__ import annotations

from datetime import timedelta

from fleetops.rollout import ProbePolicy, RefreshPreferences
from fleetops.spec.models import DeployPolicy, HealthCheck


def milliseconds(value: timedelta) -> int:
    """A duration in whole milliseconds."""
    return round(value.total_seconds() * 1000)


def refresh_preferences(deploy: DeployPolicy) -> RefreshPreferences:
    """The instance refresh preferences a service's ``deploy`` section sets."""
    return RefreshPreferences(
        min_healthy_percentage=deploy.min_healthy_percent,
        max_healthy_percentage=deploy.max_healthy_percent,
        instance_warmup_ms=milliseconds(deploy.warmup),
        checkpoint_percentages=tuple(deploy.checkpoints),
        # AWS refuses a CheckpointDelay without CheckpointPercentages.
        checkpoint_delay_ms=milliseconds(deploy.checkpoint_delay) if deploy.checkpoints else None,
        bake_time_ms=milliseconds(deploy.bake_time),
        skip_matching=deploy.skip_matching,
        auto_rollback=deploy.auto_rollback,
        alarms=tuple(deploy.alarms),
    )


def health_check(health: HealthCheck) -> ProbePolicy:
    """The target group health check a service's ``health`` section sets."""
    return ProbePolicy(
        interval_ms=milliseconds(health.interval),
        timeout_ms=milliseconds(health.timeout),
        healthy_threshold=health.healthy_threshold,
        unhealthy_threshold=health.unhealthy_threshold,
        matcher=health.matcher,
        path=health.path,
    )
