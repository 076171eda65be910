"""AwsFleetRuntime on an ECS service in moto (the example's notifications, moved to ECS in prod).

Shimmed (fleetops.testing.moto_shims): ECS deployments that progress and the service's tasks
(SHIM_ECS_DEPLOYMENTS); a failing release's tasks (SHIM_TARGET_HEALTH's failing versions) where
named; Application Auto Scaling's activities and a policy that scales
(SHIM_APP_SCALING_ACTIVITIES) where named; the Auto Scaling services' instance refresh is not used
here. The scalable target and its policy are moto's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.providers.aws.bootstrap import bootstrap, rewrite_file
from fleetops.providers.aws.session import AwsClients
from fleetops.runbooks.ports import RolloutRequest
from fleetops.spec.loader import load_fleet
from fleetops.store import Store
from fleetops.testing import moto_shims
from fleetops.testing.moto import MOTO_IMAGE, MotoEndpoint
from fleetops.testing.waiting import wait_until

ECS_OVERRIDE = "        aws: {ecs_cluster: restaurant, ecs_service: notifications}\n"


@pytest.fixture
def runtime(moto: MotoEndpoint, example: Path, tmp_path: Path) -> Iterator[AwsFleetRuntime]:
    fleet_file = example / "fleet.yaml"
    text = fleet_file.read_text().replace(
        "    overrides:\n      prod:\n        instances: {min: 2, desired: 2, max: 4}",
        "    overrides:\n      prod:\n" + ECS_OVERRIDE + "        instances: {min: 2, desired: 2, max: 4}",
    )
    text = text.replace(  # target tracking in Application Auto Scaling
        "    instances: {min: 1, desired: 1, max: 2}\n    health: *fast-health\n    deploy:\n"
        "      <<: *fast-rolling\n      max_healthy_percent: 200",
        "    instances: {min: 1, desired: 1, max: 2}\n    scaling: {target_cpu: 60, scale_in_cooldown: 2m}\n"
        "    health: *fast-health\n    deploy:\n      <<: *fast-rolling\n      max_healthy_percent: 200",
    )
    fleet_file.write_text(text)
    rewrite_file(
        fleet_file, bootstrap(load_fleet(fleet_file), "prod", AwsClients("eu-west-1"), image_id=MOTO_IMAGE)
    )
    ecs = boto3.client("ecs", region_name="eu-west-1")
    ecs.create_cluster(clusterName="restaurant")
    definition = ecs.register_task_definition(
        family="restaurant-notifications",
        containerDefinitions=[
            {"name": "app", "image": "registry.example/notifications:v1", "memory": 256, "essential": True}
        ],
        tags=[{"key": "fleetops:version", "value": "v1"}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster="restaurant", serviceName="notifications", taskDefinition=definition, desiredCount=2
    )
    with Store.open(None, tmp_path / "db") as store:
        started = AwsFleetRuntime(load_fleet(fleet_file), "prod", store=store)
        started.start()
        yield started


RESOURCE = "service/restaurant/notifications"


def ended(runtime: AwsFleetRuntime, rollout_id: str) -> str:
    view = wait_until(
        lambda: (v := runtime.describe_rollout(rollout_id)).terminal and v,
        timeout=30,
        what=f"{rollout_id} ends",
    )
    return view.status


def notifications(runtime: AwsFleetRuntime) -> tuple[str, tuple[str, ...], int]:
    status = {s.name: s for s in runtime.status().services}["notifications"]
    return status.version, status.versions, status.healthy


def test_a_release_is_a_task_definition_revision_and_a_rollout_an_update_service(
    runtime: AwsFleetRuntime,
) -> None:
    assert notifications(runtime) == ("v1", ("v1",), 2)
    with moto_shims.recording() as calls:
        runtime.start_rollout(RolloutRequest("r1", "prod", "notifications", "v2", 2))
        assert ended(runtime, "r1") == "Successful"
    (registered,) = calls.of("RegisterTaskDefinition")
    assert registered.params["containerDefinitions"][0]["image"] == "registry.example/notifications:v2"
    assert {"name": "VERSION", "value": "v2"} in registered.params["containerDefinitions"][0]["environment"]
    (update,) = calls.of("UpdateService")
    assert update.params["taskDefinition"].endswith("task-definition/restaurant-notifications:2")
    assert update.params["deploymentConfiguration"] == {
        "minimumHealthyPercent": 100,
        "maximumPercent": 200,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "alarms": {
            "alarmNames": [
                "restaurant-prod-notifications-high-5xx",
                "restaurant-prod-notifications-slow-p99",
            ],
            "enable": True,
            "rollback": True,
        },
    }
    assert notifications(runtime) == ("v2", ("v2",), 2)


def test_a_failing_deployment_fails_and_a_rollback_updates_the_service_to_the_verified_revision(
    runtime: AwsFleetRuntime,
) -> None:
    runtime.start_rollout(RolloutRequest("r1", "prod", "notifications", "v2", 2))
    assert ended(runtime, "r1") == "Successful"
    moto_shims.fail_health("v3-bad")
    runtime.start_rollout(RolloutRequest("r2", "prod", "notifications", "v3-bad", 3))
    assert ended(runtime, "r2") == "Failed"
    assert "circuit breaker" in (runtime.describe_rollout("r2").status_reason)
    with moto_shims.recording() as calls:
        runtime.start_rollout(RolloutRequest("r3", "prod", "notifications", "v2", 2))
        assert ended(runtime, "r3") == "Successful"
    assert calls.of("RegisterTaskDefinition") == []  # release #2's revision, found by its tag
    (update,) = calls.of("UpdateService")
    assert update.params["taskDefinition"].endswith("task-definition/restaurant-notifications:2")
    assert notifications(runtime) == ("v2", ("v2",), 2)


def test_a_cancelled_deployment_is_an_update_service_back_to_the_revision_it_replaced(
    runtime: AwsFleetRuntime,
) -> None:
    runtime.scale("notifications", 4)  # the shim replaces a task per look: four last a few looks
    view = runtime.start_rollout(RolloutRequest("r1", "prod", "notifications", "v2", 2))
    assert view.status == "InProgress"
    with moto_shims.recording() as calls:
        runtime.cancel_rollout("r1")
        assert ended(runtime, "r1") == "Cancelled"
    (update,) = calls.of("UpdateService")
    assert update.params["taskDefinition"].endswith("task-definition/restaurant-notifications:1")
    assert notifications(runtime) == ("v1", ("v1",), 4)


def scalable_target() -> tuple[int, int, int]:
    """(MinCapacity, MaxCapacity, the service's desiredCount) on moto."""
    aas = boto3.client("application-autoscaling", region_name="eu-west-1")
    (target,) = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[RESOURCE])[
        "ScalableTargets"
    ]
    ecs = boto3.client("ecs", region_name="eu-west-1")
    (service,) = ecs.describe_services(cluster="restaurant", services=["notifications"])["services"]
    return target["MinCapacity"], target["MaxCapacity"], service["desiredCount"]


def test_scaling_is_application_auto_scalings_and_scale_keeps_the_targets_bounds_consistent(
    runtime: AwsFleetRuntime,
) -> None:
    """A scalable target with a target-tracking policy; scale within it; a pause widens it;
    activities are Application Auto Scaling's (one setup for all: each costs a bootstrap)."""
    aas = boto3.client("application-autoscaling", region_name="eu-west-1")
    (policy,) = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=RESOURCE)["ScalingPolicies"]
    assert (policy["PolicyName"], policy["ScalableDimension"], policy["PolicyType"]) == (
        "fleetops-target-cpu",
        "ecs:service:DesiredCount",
        "TargetTrackingScaling",
    )
    assert policy["TargetTrackingScalingPolicyConfiguration"] == {
        "TargetValue": 60.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "ScaleOutCooldown": 300,
        "ScaleInCooldown": 120,
        "DisableScaleIn": False,
    }
    assert scalable_target() == (2, 4, 2)  # prod's instances: {min: 2, desired: 2, max: 4}
    with moto_shims.recording() as calls:
        runtime.scale("notifications", 3)
    assert calls.of("RegisterScalableTarget") == []  # 3 is inside 2..4
    assert scalable_target() == (2, 4, 3)
    runtime.set_desired("notifications", 0)  # a restore's pause: the target's min follows
    assert scalable_target() == (0, 4, 0)
    runtime.set_desired("notifications", 2)
    assert scalable_target() == (2, 4, 2)
    moto_shims.policy_scales(RESOURCE, 3)
    moto_shims.policy_scales(RESOURCE, 4)
    found = [(a.service, a.before, a.after) for a in runtime.scaling_activities("notifications")]
    assert found == [("notifications", 3, 4), ("notifications", 3, 3)]
    (newest, _) = runtime.scaling_activities("notifications")
    assert newest.cause.startswith("Setting desired count to 4. monitor alarm TargetTracking-")
    assert scalable_target() == (2, 4, 4)
