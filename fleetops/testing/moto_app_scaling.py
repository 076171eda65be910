"""The shim of Application Auto Scaling's activities (``moto_shims.SHIM_APP_SCALING_ACTIVITIES``).

moto 5.2 registers scalable targets and stores scaling policies but has no
DescribeScalingActivities and never scales: :func:`install` adds DescribeScalingActivities
answering the activities recorded here, and :func:`policy_scales` does what a target-tracking
policy does when its alarm fires (the ECS service's desired count set through moto's ECS
backend, the activity recorded in AWS's words). Installed and reset by ``moto_shims``.
"""

from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, datetime
from typing import Any

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ecs.models import ecs_backends

_lock = threading.Lock()
_activities: dict[str, list[dict[str, Any]]] = {}
_counter = itertools.count(1)


def policy_scales(resource_id: str, desired: int, *, region: str = "eu-west-1") -> None:
    """Scale ECS service ``resource_id`` (``service/<cluster>/<service>``) to ``desired`` as its
    target-tracking policy would, recording the activity AWS records."""
    _, cluster, service = resource_id.split("/")
    ecs_backends[DEFAULT_ACCOUNT_ID][region].update_service(
        {"cluster": cluster, "service": service, "desired_count": desired}
    )
    now = datetime.now(UTC)
    with _lock:
        _activities.setdefault(resource_id, []).append(
            {
                "ActivityId": f"shim-{next(_counter)}",
                "ServiceNamespace": "ecs",
                "ResourceId": resource_id,
                "ScalableDimension": "ecs:service:DesiredCount",
                "Description": f"Setting desired count to {desired}.",
                "Cause": f"monitor alarm TargetTracking-{resource_id}-AlarmHigh in state ALARM "
                "triggered policy fleetops-target-cpu",
                "StartTime": now.timestamp(),
                "EndTime": now.timestamp(),
                "StatusCode": "Successful",
                "StatusMessage": f"Successfully set desired count to {desired}. "
                "Change successfully fulfilled by ecs.",
            }
        )


def reset() -> None:
    """Forget the recorded activities."""
    with _lock:
        _activities.clear()


def install() -> None:
    """Add DescribeScalingActivities to moto's Application Auto Scaling (called once)."""

    def describe_scaling_activities(self: ApplicationAutoScalingResponse) -> str:
        resource_id = self._get_param("ResourceId")
        with _lock:
            found = [
                dict(a) for key, items in _activities.items() if resource_id in (None, key) for a in items
            ]
        return json.dumps({"ScalingActivities": sorted(found, key=lambda a: -a["StartTime"])})

    ApplicationAutoScalingResponse.describe_scaling_activities = describe_scaling_activities  # type: ignore[attr-defined]
