"""The scalable target of an ECS service in Application Auto Scaling, and its target tracking.

ECS has no min or max of its own: a service with ``scaling:`` in the fleet file is registered as a
scalable target (RegisterScalableTarget, ``ecs:service:DesiredCount``, the file's instances min
and max) with a target-tracking policy ``fleetops-target-cpu`` on
``ECSServiceAverageCPUUtilization`` (PutScalingPolicy: the file's target, cooldowns and
``disable_scale_in``). A desired count set by fleetops (``fleetops scale``, a restore's pause) is
kept inside the target's MinCapacity..MaxCapacity (the file's bounds, widened to take a count
outside them, such as a pause to 0, and narrowed back once the count is inside again), since
Application Auto Scaling moves a count outside its range back into it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from fleetops.providers.aws.session import AwsClients, aws_call
from fleetops.spec.models import Instances, Scaling

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
POLICY_NAME = "fleetops-target-cpu"
_TO = re.compile(r"desired count to (\d+)")


class ScalableTarget:
    """``service/<cluster>/<service>`` in Application Auto Scaling."""

    def __init__(self, clients: AwsClients, cluster: str, service: str) -> None:
        self.clients = clients
        self.resource_id = f"service/{cluster}/{service}"

    def bounds(self) -> tuple[int, int] | None:
        """(MinCapacity, MaxCapacity) as registered; None when the service is not registered."""
        found = aws_call(
            "application-autoscaling:DescribeScalableTargets",
            self.resource_id,
            self.clients.application_autoscaling.describe_scalable_targets,
            ServiceNamespace=NAMESPACE,
            ResourceIds=[self.resource_id],
            ScalableDimension=DIMENSION,
        )["ScalableTargets"]
        if not found:
            return None
        return int(found[0]["MinCapacity"]), int(found[0]["MaxCapacity"])

    def register(self, minimum: int, maximum: int) -> None:
        """RegisterScalableTarget with these bounds (creates or updates the target)."""
        aws_call(
            "application-autoscaling:RegisterScalableTarget",
            self.resource_id,
            self.clients.application_autoscaling.register_scalable_target,
            ServiceNamespace=NAMESPACE,
            ResourceId=self.resource_id,
            ScalableDimension=DIMENSION,
            MinCapacity=minimum,
            MaxCapacity=maximum,
        )

    def put_target_tracking(self, scaling: Scaling, bounds: Instances) -> None:
        """Register the file's bounds and put the target-tracking policy (both idempotent)."""
        self.register(bounds.min, bounds.max)
        aws_call(
            "application-autoscaling:PutScalingPolicy",
            self.resource_id,
            self.clients.application_autoscaling.put_scaling_policy,
            PolicyName=POLICY_NAME,
            ServiceNamespace=NAMESPACE,
            ResourceId=self.resource_id,
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": float(scaling.target_cpu),
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                "ScaleOutCooldown": round(scaling.scale_out_cooldown.total_seconds()),
                "ScaleInCooldown": round(scaling.scale_in_cooldown.total_seconds()),
                "DisableScaleIn": scaling.disable_scale_in,
            },
        )

    def keep_including(self, desired: int, bounds: Instances) -> None:
        """Bounds that take ``desired``: the file's, widened to it when it is outside them
        (RegisterScalableTarget only when they differ from the registered ones; nothing when the
        service is not registered)."""
        registered = self.bounds()
        if registered is None:
            return
        wanted = (min(bounds.min, desired), max(bounds.max, desired))
        if registered != wanted:
            self.register(*wanted)

    def activities(self, limit: int = 50) -> list[dict[str, Any]]:
        """DescribeScalingActivities of the target, newest first, as ``{StartTime, Cause,
        After}`` (``After``: the count it set; Application Auto Scaling does not say the count
        before, so each one's is the one the previous activity set)."""
        found = aws_call(
            "application-autoscaling:DescribeScalingActivities",
            self.resource_id,
            self.clients.application_autoscaling.describe_scaling_activities,
            ServiceNamespace=NAMESPACE,
            ResourceId=self.resource_id,
            ScalableDimension=DIMENSION,
            MaxResults=min(limit, 50),
        )["ScalingActivities"]
        out = [_activity(item) for item in sorted(found, key=lambda a: a["StartTime"], reverse=True)]
        for newer, older in itertools.pairwise(out):
            if newer.get("After") is not None and older.get("After") is not None:
                newer["Before"] = older["After"]
        return out


def _activity(item: Mapping[str, Any]) -> dict[str, Any]:
    description = str(item.get("Description", ""))
    found = _TO.search(description)
    cause = " ".join(x for x in (description, str(item.get("Cause", ""))) if x)
    return {
        "StartTime": item["StartTime"],
        "Cause": cause,
        "After": int(found.group(1)) if found else None,
    }
