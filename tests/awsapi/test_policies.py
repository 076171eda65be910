"""``describe-policies``, ``put-scaling-policy``, ``delete-policy``: a group's scaling policy is its
service's ``scaling`` in the fleet file until one is put or deleted (kept in the store). The
autoscaler running a put policy is tested in tests/control."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fleetops.server.roles import Role
from fleetops.spec.loader import load_fleet_text
from fleetops.testing.api import ApiHarness, api_harness
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


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiHarness, str]]:
    with api_harness(tmp_path_factory.mktemp("policies") / "state") as api:
        api.app.state.environments = in_memory_environments(load_fleet_text(FLEET), "dev")
        with serving(api.app) as url:
            yield api, url


def _client(served: tuple[ApiHarness, str], role: Role) -> Any:
    api, url = served
    return boto3.client(
        "autoscaling", endpoint_url=url, region_name="eu-west-1", aws_access_key_id=api.tokens[role],
        aws_secret_access_key="unused", config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip


@pytest.fixture(scope="module")
def autoscaling(served: tuple[ApiHarness, str]) -> Any:
    return _client(served, Role.VIEWER)


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


def test_a_put_policy_replaces_the_fleet_files_and_a_deleted_one_is_gone(
    served: tuple[ApiHarness, str],
) -> None:
    client = _client(served, Role.OPERATOR)
    put = client.put_scaling_policy(
        AutoScalingGroupName="shop-dev-orders", PolicyName="orders-cpu-50",
        PolicyType="TargetTrackingScaling", EstimatedInstanceWarmup=30,
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 50.0,
        },
    )  # fmt: skip
    (found,) = client.describe_policies(AutoScalingGroupName="shop-dev-orders")["ScalingPolicies"]
    assert (found["PolicyName"], found["PolicyARN"], found["EstimatedInstanceWarmup"]) == (
        "orders-cpu-50", put["PolicyARN"], 30,
    )  # fmt: skip
    assert found["TargetTrackingConfiguration"]["TargetValue"] == 50.0
    client.delete_policy(AutoScalingGroupName="shop-dev-menu", PolicyName="shop-dev-menu-target-cpu")
    assert client.describe_policies(AutoScalingGroupName="shop-dev-menu")["ScalingPolicies"] == []
    api, _ = served
    row = api.store.scaling_policies.get("dev", "menu")
    assert (row is not None and row.target_cpu, row is not None and row.updated_by) == (None, "operator")


def test_what_the_autoscaler_cannot_run_is_refused_and_changes_nothing(
    served: tuple[ApiHarness, str],
) -> None:
    client = _client(served, Role.OPERATOR)
    before = client.describe_policies()["ScalingPolicies"]
    codes = []
    for extra in (
        {"PolicyType": "StepScaling", "AdjustmentType": "ChangeInCapacity",
         "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]},
        {"PolicyType": "TargetTrackingScaling", "TargetTrackingConfiguration": {
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget"},
            "TargetValue": 100.0}},
        {"AdjustmentType": "ChangeInCapacity"},
        {"AdjustmentType": "ChangeInCapacity", "ScalingAdjustment": 1, "MinAdjustmentMagnitude": 2},
        {"AdjustmentType": "ChangeInCapacity", "ScalingAdjustment": 1, "EstimatedInstanceWarmup": 30},
    ):  # fmt: skip
        with pytest.raises(ClientError) as caught:
            client.put_scaling_policy(AutoScalingGroupName="shop-dev-orders", PolicyName="p", **extra)
        codes.append(caught.value.response["Error"]["Code"])
    assert codes == ["ValidationError"] * 5
    assert client.describe_policies()["ScalingPolicies"] == before


def test_a_simple_policy_is_put_described_executed_and_deleted(served: tuple[ApiHarness, str]) -> None:
    client = _client(served, Role.OPERATOR)
    # As seed 004 writes it: no --policy-type (SimpleScaling is AWS's default).
    put = client.put_scaling_policy(
        AutoScalingGroupName="shop-dev-menu", PolicyName="dev-scale-up", ScalingAdjustment=2,
        AdjustmentType="ChangeInCapacity", Cooldown=600,
    )  # fmt: skip
    assert put["PolicyARN"].endswith(":autoScalingGroupName/shop-dev-menu:policyName/dev-scale-up")
    found = client.describe_policies(AutoScalingGroupName="shop-dev-menu", PolicyTypes=["SimpleScaling"])
    assert found["ScalingPolicies"] == [
        {"AutoScalingGroupName": "shop-dev-menu", "PolicyName": "dev-scale-up", "PolicyARN": put["PolicyARN"],
         "PolicyType": "SimpleScaling", "AdjustmentType": "ChangeInCapacity", "ScalingAdjustment": 2,
         "Cooldown": 600, "Alarms": [], "Enabled": True},
    ]  # fmt: skip
    client.execute_policy(PolicyName=put["PolicyARN"], HonorCooldown=True)
    group = client.describe_auto_scaling_groups(AutoScalingGroupNames=["shop-dev-menu"])["AutoScalingGroups"][
        0
    ]
    activity = client.describe_scaling_activities(AutoScalingGroupName="shop-dev-menu")["Activities"][0]
    assert (group["DesiredCapacity"], activity["Description"]) == (4, "Launching 2 instances")
    assert activity["Cause"].endswith(
        "the desired capacity changed from 2 to 4: a user request executed policy dev-scale-up."
    )
    with pytest.raises(ClientError) as caught:  # its 600 s cooldown runs
        client.execute_policy(
            AutoScalingGroupName="shop-dev-menu", PolicyName="dev-scale-up", HonorCooldown=True
        )
    assert caught.value.response["Error"]["Code"] == "ScalingActivityInProgress"
    assert "the policy was not run" in caught.value.response["Error"]["Message"]
    client.delete_policy(AutoScalingGroupName="shop-dev-menu", PolicyName="dev-scale-up")
    assert (
        client.describe_policies(AutoScalingGroupName="shop-dev-menu", PolicyTypes=["SimpleScaling"])[
            "ScalingPolicies"
        ]
        == []
    )
    with pytest.raises(ClientError) as caught:
        client.execute_policy(AutoScalingGroupName="shop-dev-menu", PolicyName="dev-scale-up")
    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_a_viewer_cannot_execute_a_policy(autoscaling: Any) -> None:
    with pytest.raises(ClientError) as caught:
        autoscaling.execute_policy(AutoScalingGroupName="shop-dev-menu", PolicyName="any")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
