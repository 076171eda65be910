"""``aws sts`` and ``aws autoscaling`` (the real AWS CLI, and boto3) against the example fleet:
each answer, and its effect on the processes."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from fleetops.testing.aws import LOOK_EVERY, AwsFleet, aws_fleet
from fleetops.testing.example import NotificationSinks
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

SERVICES = ["auth", "menu", "notifications", "payments", "orders", "gateway"]
FAST = '{"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "InstanceWarmup": 0}'
# One instance at a time, then a pause at 50% long enough to act on the refresh in the middle.
HALFWAY = json.dumps(
    {
        "MinHealthyPercentage": 50,
        "InstanceWarmup": 0,
        "CheckpointPercentages": [50, 100],
        "CheckpointDelay": 600,
    }
)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, sinks: NotificationSinks) -> Iterator[AwsFleet]:
    with aws_fleet(tmp_path_factory.mktemp("awsapi"), sinks) as running:
        yield running


def _versions(fleet: AwsFleet, service: str) -> list[str]:
    return sorted(i["version"] for i in fleet.service(service)["instances"] if i["state"] == "InService")


def _new_version(fleet: AwsFleet, template_id: str, image: str) -> str:
    created = fleet.aws_json(
        "ec2", "create-launch-template-version", "--launch-template-id", template_id,
        "--version-description", f"Deploy {image}", "--launch-template-data", json.dumps({"ImageId": image}),
    )  # fmt: skip
    return str(created["LaunchTemplateVersion"]["VersionNumber"])


def _refresh(fleet: AwsFleet, group: str) -> dict[str, Any]:
    found = fleet.aws_json(
        "autoscaling", "describe-instance-refreshes", "--auto-scaling-group-name", group, "--max-records", "1"
    )
    refresh: dict[str, Any] = found["InstanceRefreshes"][0]
    return refresh


def test_get_caller_identity_names_the_token(fleet: AwsFleet) -> None:
    # The aws executable itself, once (the other commands run its driver in this process).
    done = fleet.aws("sts", "get-caller-identity", process=True)
    assert (done.returncode, json.loads(done.stdout)) == (
        0,
        {
            "UserId": "fleetops:admin",
            "Account": "123456789012",
            "Arn": "arn:aws:iam::123456789012:user/admin",
        },
    ), done.stderr


def test_describe_groups_lists_each_service_under_its_fleet_file_names(fleet: AwsFleet) -> None:
    groups = fleet.aws_json("autoscaling", "describe-auto-scaling-groups")["AutoScalingGroups"]
    assert [g["AutoScalingGroupName"] for g in groups] == [f"restaurant-{s}" for s in SERVICES]
    menu = groups[1]
    assert menu["LaunchTemplate"] == {
        "LaunchTemplateId": "lt-0a1b2c3d4e5f60002",
        "LaunchTemplateName": "restaurant-menu",
        "Version": "1",
    }
    assert menu["TargetGroupARNs"] == [
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/menu/0000000000000002"
    ]
    assert (menu["MinSize"], menu["DesiredCapacity"], menu["MaxSize"]) == (1, 2, 3)
    live = {i["id"] for i in fleet.service("menu")["instances"] if i["state"] == "InService"}
    assert {i["InstanceId"] for i in menu["Instances"]} == live
    assert {(i["LifecycleState"], i["HealthStatus"], i["ImageId"]) for i in menu["Instances"]} == {
        ("InService", "Healthy", "v1")
    }


def test_the_seeds_environment_tag_query_finds_the_groups(fleet: AwsFleet) -> None:
    found = fleet.aws_json(
        "autoscaling", "describe-auto-scaling-groups",
        "--query", "AutoScalingGroups[?Tags[?Key=='Environment' && Value=='dev']].AutoScalingGroupName",
    )  # fmt: skip
    assert found == [f"restaurant-{s}" for s in SERVICES]
    assert fleet.aws_json(
        "autoscaling", "describe-auto-scaling-groups", "--filters", "Name=tag:Environment,Values=prod"
    ) == {"AutoScalingGroups": []}


def test_set_desired_capacity_starts_a_process_and_is_an_activity(fleet: AwsFleet) -> None:
    fleet.aws_json(
        "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "restaurant-payments",
        "--desired-capacity", "3",
    )  # fmt: skip
    wait_until(
        lambda: fleet.service("payments")["healthy"] == 3,
        timeout=60,
        interval=LOOK_EVERY,
        what="a third payments instance",
    )
    groups = fleet.aws_json(
        "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "restaurant-payments"
    )["AutoScalingGroups"]
    assert (groups[0]["DesiredCapacity"], len(groups[0]["Instances"])) == (3, 3)
    activity = fleet.aws_json(
        "autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "restaurant-payments"
    )["Activities"][0]
    assert (activity["Description"], activity["StatusCode"]) == ("Launching 1 instance", "Successful")
    assert activity["Cause"].endswith("the desired capacity changed from 2 to 3: set by an operator.")
    audit = fleet.fleetops("audit", "--action", "autoscaling.SetDesiredCapacity", "-o", "json")
    entry = json.loads(audit.stdout)["entries"][0]
    assert (entry["actor"], entry["target"], entry["outcome"]) == ("admin", "restaurant-payments", "success")
    assert entry["arguments"] == {"AutoScalingGroupName": "restaurant-payments", "DesiredCapacity": 3}


def _signed(fleet: AwsFleet, body: str) -> httpx.Response:
    # A query-protocol request as the CLI sends it; the signature is not checked, the key id is.
    credential = f"{fleet.token}/20261206/eu-west-1/autoscaling/aws4_request"
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=0",
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    }
    return httpx.post(fleet.url + "/", content=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            "Action=Frobnicate&Version=2011-01-01",
            "InvalidAction",
            "autoscaling has no operation 'Frobnicate'",
        ),
        (
            "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=restaurant-menu",
            "ValidationError",
            "Value null at 'DesiredCapacity' failed to satisfy constraint: Member must not be null",
        ),
        (
            "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=restaurant-menu&DesiredCapacity=two",
            "ValidationError",
            "Value 'two' at 'DesiredCapacity' failed to satisfy constraint: Member must be an integer",
        ),
        (
            "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=restaurant-nope&DesiredCapacity=1",
            "ValidationError",
            "AutoScalingGroup name not found - AutoScalingGroup restaurant-nope not found",
        ),
        (
            "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=restaurant-menu&DesiredCapacity=4",
            "ValidationError",
            "New SetDesiredCapacity value 4 is above max value 3 for the AutoScalingGroup.",
        ),
    ],
    ids=["unknown action", "missing parameter", "wrong type", "unknown group", "above max"],
)
def test_a_bad_request_gets_the_query_error_shape_and_changes_nothing(
    fleet: AwsFleet, body: str, code: str, message: str
) -> None:
    before = fleet.service("menu")["desired"]
    answer = _signed(fleet, body)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/xml")
    assert f"<Type>Sender</Type><Code>{code}</Code><Message>" in answer.text
    assert message in answer.text
    assert fleet.service("menu")["desired"] == before


def test_the_same_request_when_valid_changes_the_count(fleet: AwsFleet) -> None:
    body = (
        "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=restaurant-menu&DesiredCapacity=1"
    )
    answer = _signed(fleet, body)
    assert answer.status_code == 200 and "<SetDesiredCapacityResponse" in answer.text
    assert fleet.service("menu")["desired"] == 1
    fleet.client("autoscaling").set_desired_capacity(
        AutoScalingGroupName="restaurant-menu", DesiredCapacity=2
    )
    wait_until(
        lambda: fleet.service("menu")["healthy"] == 2, timeout=60, interval=LOOK_EVERY, what="menu back to 2"
    )


def test_boto3_parses_an_error_code_as_aws_sends_it(fleet: AwsFleet) -> None:
    client = fleet.client("autoscaling")
    with pytest.raises(ClientError) as caught:
        client.cancel_instance_refresh(AutoScalingGroupName="restaurant-notifications")
    assert caught.value.response["Error"]["Code"] == "ActiveInstanceRefreshNotFound"
    assert isinstance(caught.value, client.exceptions.ActiveInstanceRefreshNotFoundFault)


def test_a_viewer_describes_but_cannot_change(fleet: AwsFleet) -> None:
    viewer = fleet.token_for("aws-viewer", "viewer")
    assert fleet.aws("autoscaling", "describe-auto-scaling-groups", token=viewer).returncode == 0
    refused = fleet.aws(
        "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "restaurant-menu",
        "--desired-capacity", "3", token=viewer,
    )  # fmt: skip
    assert refused.returncode == 255
    assert "(AccessDenied)" in refused.stderr and "needs operator or above" in refused.stderr
    assert fleet.service("menu")["desired"] == 2
    unknown = fleet.aws("sts", "get-caller-identity", token="fo_not-a-token")
    assert unknown.returncode == 255 and "(InvalidClientTokenId)" in unknown.stderr


def _load(url: str, stop: threading.Event, outcomes: Counter[str]) -> None:
    with httpx.Client(timeout=5, transport=httpx.HTTPTransport(retries=0)) as client:
        while not stop.is_set():
            try:
                outcomes[str(client.get(url).status_code)] += 1
            except httpx.HTTPError as err:
                outcomes[type(err).__name__] += 1
            stop.wait(0.02)


def test_an_instance_refresh_replaces_every_instance_with_no_failed_request(fleet: AwsFleet) -> None:
    version = _new_version(fleet, "lt-0a1b2c3d4e5f60006", "v2")
    fleet.aws_json(
        "autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", "restaurant-gateway",
        "--launch-template", "LaunchTemplateId=lt-0a1b2c3d4e5f60006,Version=$Latest",
    )  # fmt: skip
    old = {i["id"] for i in fleet.service("gateway")["instances"]}
    stop, outcomes = threading.Event(), Counter[str]()
    loader = threading.Thread(
        target=_load, args=(fleet.service("gateway")["endpoint"] + "/health", stop, outcomes)
    )
    loader.start()
    try:
        started = fleet.aws_json(
            "autoscaling", "start-instance-refresh", "--auto-scaling-group-name", "restaurant-gateway",
            "--preferences", FAST,
        )  # fmt: skip
        # Not back to back also so that the load thread keeps its share of the interpreter (and
        # sends its requests): each look runs the AWS CLI's driver in this process.
        done = wait_until(
            lambda: (r := _refresh(fleet, "restaurant-gateway"))["Status"] in ("Successful", "Failed") and r,
            timeout=120,
            interval=LOOK_EVERY,
            what="the instance refresh to end",
        )
    finally:
        stop.set()
        loader.join()
    assert (done["InstanceRefreshId"], done["Status"], done["PercentageComplete"]) == (
        started["InstanceRefreshId"], "Successful", 100,
    )  # fmt: skip
    assert done["DesiredConfiguration"]["LaunchTemplate"]["Version"] == version
    group = fleet.aws_json(
        "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "restaurant-gateway"
    )["AutoScalingGroups"][0]
    assert group["LaunchTemplate"]["Version"] == "$Latest"
    assert {(i["ImageId"], i["LaunchTemplate"]["Version"]) for i in group["Instances"]} == {("v2", version)}
    assert not old & {i["InstanceId"] for i in group["Instances"]}
    assert set(outcomes) == {"200"} and outcomes["200"] > 50


def _halfway(fleet: AwsFleet, group: str, service: str, image: str) -> str:
    version = _new_version(fleet, fleet.aws_json(
        "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", group,
    )["AutoScalingGroups"][0]["LaunchTemplate"]["LaunchTemplateId"], image)  # fmt: skip
    desired = {"LaunchTemplate": {"LaunchTemplateName": group, "Version": version}}
    fleet.aws_json(
        "autoscaling", "start-instance-refresh", "--auto-scaling-group-name", group, "--preferences", HALFWAY,
        "--desired-configuration", json.dumps(desired),
    )  # fmt: skip
    wait_until(
        lambda: _versions(fleet, service) == ["v1", image],
        timeout=60,
        interval=LOOK_EVERY,
        what=f"half of {service} on {image}",
    )
    wait_until(
        lambda: _refresh(fleet, group)["PercentageComplete"] == 50, interval=LOOK_EVERY, what="the checkpoint"
    )
    return version


def test_cancel_instance_refresh_stops_it_where_it_is(fleet: AwsFleet) -> None:
    _halfway(fleet, "restaurant-menu", "menu", "v2")
    refresh_id = _refresh(fleet, "restaurant-menu")["InstanceRefreshId"]
    cancelled = fleet.aws_json(
        "autoscaling", "cancel-instance-refresh", "--auto-scaling-group-name", "restaurant-menu"
    )
    assert cancelled == {"InstanceRefreshId": refresh_id}
    wait_until(
        lambda: _refresh(fleet, "restaurant-menu")["Status"] == "Cancelled",
        interval=LOOK_EVERY,
        what="Cancelled",
    )
    assert _versions(fleet, "menu") == ["v1", "v2"]
    again = fleet.aws(
        "autoscaling", "cancel-instance-refresh", "--auto-scaling-group-name", "restaurant-menu"
    )
    assert again.returncode == 255 and "(ActiveInstanceRefreshNotFound)" in again.stderr


def test_rollback_instance_refresh_returns_the_old_version(fleet: AwsFleet) -> None:
    _halfway(fleet, "restaurant-auth", "auth", "v3")
    fleet.aws_json("autoscaling", "rollback-instance-refresh", "--auto-scaling-group-name", "restaurant-auth")
    done = wait_until(
        lambda: (
            (r := _refresh(fleet, "restaurant-auth"))["Status"].startswith("Rollback")
            and r["Status"] != "RollbackInProgress"
            and r
        ),
        timeout=60,
        interval=LOOK_EVERY,
        what="the rollback to end",
    )
    assert done["Status"] == "RollbackSuccessful"
    assert _versions(fleet, "auth") == ["v1", "v1"]


def test_a_change_is_refused_in_maintenance_and_changes_nothing(fleet: AwsFleet) -> None:
    on = fleet.fleetops("maintenance", "on", "--env", "dev", "--for", "5m", "--reason", "db upgrade")
    assert on.returncode == 0, on.stderr
    try:
        refused = fleet.aws(
            "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "restaurant-notifications",
            "--desired-capacity", "2",
        )  # fmt: skip
    finally:
        fleet.fleetops("maintenance", "off", "--env", "dev")
    assert refused.returncode == 255
    assert "(OperationNotPermitted)" in refused.stderr and "(reason: db upgrade" in refused.stderr
    assert fleet.service("notifications")["desired"] == 1
    audit = fleet.fleetops("audit", "--action", "autoscaling.SetDesiredCapacity", "-o", "json")
    assert json.loads(audit.stdout)["entries"][0]["outcome"] == "refused"
