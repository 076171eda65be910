"""The target tracking policy a local service's autoscaler runs: the one put through the AWS
endpoint (``store.scaling_policies``), else the fleet file's ``scaling``.

A put policy sets the target, DisableScaleIn and the warmup; the capacity bounds are the fleet
file's ``instances``, and the cooldowns its ``scaling``'s (CloudWatch's defaults, 300 s, when it
has none).
"""

from __future__ import annotations

from fleetops.ops.autoscaling import TargetTracking
from fleetops.spec.fleet import Fleet
from fleetops.store.scaling_policies import ScalingPolicyRow

DEFAULT_COOLDOWN_S = 300.0


def target_tracking(
    fleet: Fleet, environment: str, service: str, row: ScalingPolicyRow | None
) -> TargetTracking | None:
    """The policy of ``service`` (None: it has none)."""
    spec = fleet.service(service, environment)
    scaling = spec.scaling
    if row is not None:
        if row.target_cpu is None:  # deleted through the endpoint
            return None
        warmup_s = float(row.warmup_s) if row.warmup_s is not None else spec.deploy.warmup.total_seconds()
        target, no_scale_in = row.target_cpu, row.disable_scale_in
    elif scaling is not None:
        warmup = scaling.warmup if scaling.warmup is not None else spec.deploy.warmup
        warmup_s, target, no_scale_in = warmup.total_seconds(), scaling.target_cpu, scaling.disable_scale_in
    else:
        return None
    return TargetTracking(
        target_cpu=target,
        min=spec.instances.min,
        max=spec.instances.max,
        scale_out_cooldown_s=scaling.scale_out_cooldown.total_seconds() if scaling else DEFAULT_COOLDOWN_S,
        scale_in_cooldown_s=scaling.scale_in_cooldown.total_seconds() if scaling else DEFAULT_COOLDOWN_S,
        warmup_s=warmup_s,
        disable_scale_in=no_scale_in,
    )
