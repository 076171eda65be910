"""``describe-policies``: a group's scaling policy is its service's ``scaling`` in the fleet file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from fleetops.server.roles import Role
from fleetops.spec.loader import load_fleet_text
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.sfn import serving

FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  menu:
    run: {command: "{python} menu.py"}
    instances: {min: 1, desired: 2, max: 4}
    deploy: {warmup: 20s}
    scaling: {target_cpu: 60, disable_scale_in: true}
  orders:
    run: {command: "{python} orders.py"}
"""


@pytest.fixture
def autoscaling(api: ApiHarness) -> Iterator[Any]:
    api.app.state.environments = in_memory_environments(load_fleet_text(FLEET), "dev")
    with serving(api.app) as url:
        yield boto3.client(
            "autoscaling",
            endpoint_url=url,
            region_name="eu-west-1",
            aws_access_key_id=api.tokens[Role.VIEWER],
            aws_secret_access_key="unused",
            config=Config(retries={"max_attempts": 1}),
        )


def test_the_fleet_files_target_tracking_is_the_groups_policy(autoscaling: Any) -> None:
    found = autoscaling.describe_policies(AutoScalingGroupName="shop-dev-menu")["ScalingPolicies"]
    assert [(p["PolicyName"], p["PolicyType"], p["EstimatedInstanceWarmup"]) for p in found] == [
        ("shop-dev-menu-target-cpu", "TargetTrackingScaling", 20)
    ]
    assert found[0]["TargetTrackingConfiguration"] == {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
        "TargetValue": 60.0,
        "DisableScaleIn": True,
    }
    assert autoscaling.describe_policies(AutoScalingGroupName="shop-dev-orders")["ScalingPolicies"] == []
