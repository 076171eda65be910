"""``RuntimeSettings``: the timings of a ``FleetRuntime`` and of the parts it runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeSettings:
    """Timings of the runtime (defaults suit the local sandbox)."""

    failure_timeout_s: float = 120.0
    """How long a rollout retries instances that fail health before it fails (AWS: one hour)."""
    launch_timeout_s: float = 30.0
    """How long a launch waits for the instance to be InService before the probes judge it."""
    alarm_poll_s: float = 1.0
    """How often a rollout reads its alarms (in-process and cheap here; AWS: every 10 s or more)."""
    save_interval_s: float = 0.5
    """How often a running rollout's progress is written to the store."""
    scale_interval_s: float = 5.0
    """How often autoscaling samples CPU and decides."""
    metrics_interval_s: float = 10.0
    """How often instance and group metrics are sampled into the store (``fleetops metrics``)."""
    verify_interval_s: float = 0.5
    """How often, after a start, the runtime looks whether the services' first releases
    (``fleetops up``'s) are healthy, to mark them verified."""
