"""AwsFleetRuntime on Auto Scaling groups in moto.

Shimmed (fleetops.testing.moto_shims): instance refresh (SHIM_INSTANCE_REFRESH), target health of
a failing release (SHIM_TARGET_HEALTH) where a test says so; the rest is moto through boto3.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
import yaml

from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.control.rollout_state import new_row
from fleetops.providers.aws.bootstrap import bootstrap, rewrite_file
from fleetops.providers.aws.session import AwsClients
from fleetops.runbooks.ports import RolloutRequest
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet
from fleetops.spec.rollout_settings import refresh_preferences
from fleetops.store import Store
from fleetops.testing import moto_shims
from fleetops.testing.moto import MOTO_IMAGE, MotoEndpoint
from fleetops.testing.waiting import wait_until


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path / "db") as opened:
        yield opened


@pytest.fixture
def runtime(prod: Fleet, store: Store) -> AwsFleetRuntime:
    started = AwsFleetRuntime(prod, "prod", store=store)
    started.start()
    return started


def test_start_records_each_services_first_release_verified_once_ready(runtime: AwsFleetRuntime) -> None:
    status = runtime.status()
    assert status.ready
    assert {s.name: (s.version, s.desired, s.healthy) for s in status.services}["orders"] == ("v1", 4, 4)
    releases = runtime.store.releases.list(environment="prod", service="orders")
    assert [(r.number, r.version, r.status.value, r.provider_target) for r in releases] == [
        (1, "v1", "verified", "2")  # the launch template version recorded as release #1's
    ]


def test_a_rollout_is_a_numbered_template_version_and_an_instance_refresh(
    runtime: AwsFleetRuntime, prod: Fleet
) -> None:
    with moto_shims.recording() as calls:
        runtime.start_rollout(RolloutRequest("r1", "prod", "auth", "v2", 2))
        view = wait_until(
            lambda: (v := runtime.describe_rollout("r1")).terminal and v, timeout=30, what="rollout ends"
        )
    assert view.status == "Successful"
    (create,) = calls.of("CreateLaunchTemplateVersion")
    assert create.params["VersionDescription"] == "fleetops prod/auth release #2 (v2)"
    assert create.params["SourceVersion"] == "1"  # the version the group launches
    (start,) = calls.of("StartInstanceRefresh")
    template = prod.service("auth", "prod").aws
    assert template is not None
    assert start.params["DesiredConfiguration"] == {
        "LaunchTemplate": {"LaunchTemplateId": template.launch_template_id, "Version": "3"}
    }
    assert start.params["Preferences"] == {
        "MinHealthyPercentage": 100,
        "MaxHealthyPercentage": 150,
        "InstanceWarmup": 60,
        "SkipMatching": False,
        "AutoRollback": True,
        "BakeTime": 600,
        "AlarmSpecification": {"Alarms": ["restaurant-prod-auth-high-5xx", "restaurant-prod-auth-slow-p99"]},
    }
    (update,) = calls.of("UpdateAutoScalingGroup")
    assert update.params["LaunchTemplate"] == {
        "LaunchTemplateId": template.launch_template_id,
        "Version": "3",
    }
    assert not [c for c in calls.calls if "$Latest" in repr(c.params) or "$Default" in repr(c.params)]
    group = boto3.client("autoscaling", region_name="eu-west-1").describe_auto_scaling_groups(
        AutoScalingGroupNames=["restaurant-auth"]
    )["AutoScalingGroups"][0]
    assert group["LaunchTemplate"]["Version"] == "3"
    status = {s.name: s for s in runtime.status().services}["auth"]
    assert (status.version, status.release_number, status.versions, status.healthy) == ("v2", 2, ("v2",), 3)


def test_rollback_of_a_running_rollout_is_rollback_instance_refresh(runtime: AwsFleetRuntime) -> None:
    with moto_shims.recording() as calls:
        runtime.start_rollout(RolloutRequest("r1", "prod", "menu", "v2", 2))
        wait_until(
            lambda: runtime.describe_rollout("r1").percentage_complete > 0,
            timeout=30,
            what="an instance replaced",
        )
        runtime.rollback_rollout("r1")
        view = wait_until(
            lambda: (v := runtime.describe_rollout("r1")).terminal and v, timeout=30, what="rollback ends"
        )
    assert view.status == "RollbackSuccessful"
    assert [c.params for c in calls.of("RollbackInstanceRefresh")] == [
        {"AutoScalingGroupName": "restaurant-menu"}
    ]
    menu = {s.name: s for s in runtime.status().services}["menu"]
    assert (menu.version, menu.versions) == ("v1", ("v1",))


def test_a_rollout_saved_without_its_refresh_id_adopts_the_refresh_it_had_started(
    runtime: AwsFleetRuntime,
) -> None:
    """The control plane died between StartInstanceRefresh and saving the refresh's id."""
    request = RolloutRequest("r1", "prod", "auth", "v2", 2)
    preferences = refresh_preferences(runtime.fleet.service("auth", "prod").deploy)
    state = runtime.store.service_state.get("prod", "auth")
    assert state is not None
    runtime.store.rollouts.create(new_row(request, preferences, previous=state, now=datetime.now(UTC)))
    backend = runtime.backends["auth"]
    target = backend.release_target("prod", 2, "v2")
    started = backend.start(target, runtime.alarms.aws_preferences("auth", preferences.to_aws()))
    with moto_shims.recording() as calls:
        view = wait_until(
            lambda: (v := runtime.describe_rollout("r1")).terminal and v, timeout=30, what="rollout ends"
        )
    assert view.status == "Successful"
    assert calls.of("StartInstanceRefresh") == []
    assert calls.of("CreateLaunchTemplateVersion") == []
    row = runtime.store.rollouts.get("r1")
    assert row is not None and row.preferences["aws_refresh"] == {"id": started, "target": target}


def test_a_services_scaling_is_a_target_tracking_policy_on_its_group(
    moto: MotoEndpoint, example: Path, store: Store
) -> None:
    fleet_file = example / "fleet.yaml"
    document = yaml.safe_load(fleet_file.read_text())
    document["services"]["menu"]["scaling"] = {"target_cpu": 50, "warmup": "45s"}
    fleet_file.write_text(yaml.safe_dump(document, sort_keys=False))
    rewrite_file(
        fleet_file, bootstrap(load_fleet(fleet_file), "prod", AwsClients("eu-west-1"), image_id=MOTO_IMAGE)
    )
    with moto_shims.recording() as calls:
        AwsFleetRuntime(load_fleet(fleet_file), "prod", store=store).start()
    assert [c.params for c in calls.of("PutScalingPolicy")] == [
        {
            "AutoScalingGroupName": "restaurant-menu",
            "PolicyName": "fleetops-target-cpu",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                "TargetValue": 50.0,
                "DisableScaleIn": False,
            },
            "EstimatedInstanceWarmup": 45,
        }
    ]
    policies = boto3.client("autoscaling", region_name="eu-west-1").describe_policies(
        AutoScalingGroupName="restaurant-menu"
    )["ScalingPolicies"]
    assert [(p["PolicyName"], p["PolicyType"]) for p in policies] == [
        ("fleetops-target-cpu", "TargetTrackingScaling")
    ]


def test_a_log_query_runs_in_cloudwatch_logs_insights(runtime: AwsFleetRuntime) -> None:
    """moto's StartQuery answers ``fields``, ``sort`` and ``limit`` (it ignores ``filter`` and
    ``stats``, and gives no statistics): the query here uses only what it runs."""
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName="/aws/ec2/restaurant-orders")
    logs.create_log_stream(logGroupName="/aws/ec2/restaurant-orders", logStreamName="i-0001")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/aws/ec2/restaurant-orders", logStreamName="i-0001",
        logEvents=[
            {"timestamp": now - 1, "message": "card declined"},
            {"timestamp": now, "message": "GET /health 200"},
        ],
    )  # fmt: skip
    with moto_shims.recording() as calls:
        result = runtime.query_logs(
            "fields @message | sort @timestamp desc | limit 5",
            services=["orders"], platform=False, start=None, end=None,
        )  # fmt: skip
    assert (result.columns, [row["@message"] for row in result.rows]) == (
        ("@message",), ["GET /health 200", "card declined"],
    )  # fmt: skip
    assert (len(calls.of("StartQuery")), len(calls.of("GetQueryResults"))) == (1, 1)  # moto ends it at once
