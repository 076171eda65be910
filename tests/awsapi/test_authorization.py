"""Every AWS operation served, the least role it needs, and proof that it is enforced: a token
below it gets AWS's access-denied error (403), no token or an unknown one AWS's
unrecognised-token error (401), and nothing else is refused for the role itself.

An operation missing from ``CALLS`` fails ``test_every_operation_is_in_the_table``: add it with
parameters that pass its model's validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from fleetops.server.aws.operations import OPERATIONS
from fleetops.server.roles import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness, api_harness
from fleetops.testing.aws import REGION
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.local import EXAMPLES
from fleetops.testing.sfn import serving

GROUP = {"AutoScalingGroupName": "restaurant-menu"}
TEMPLATE = {"LaunchTemplateId": "lt-0a1b2c3d4e5f60002"}
SECRET = {"SecretId": "db-password"}
TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/menu/0000000000000002"
CALLS: dict[tuple[str, str], dict[str, Any]] = {
    ("sts", "GetCallerIdentity"): {},
    ("autoscaling", "DescribeAutoScalingGroups"): {},
    ("autoscaling", "SetDesiredCapacity"): {**GROUP, "DesiredCapacity": 2},
    ("autoscaling", "UpdateAutoScalingGroup"): {**GROUP, "DesiredCapacity": 2},
    ("autoscaling", "StartInstanceRefresh"): GROUP,
    ("autoscaling", "DescribeInstanceRefreshes"): GROUP,
    ("autoscaling", "CancelInstanceRefresh"): GROUP,
    ("autoscaling", "RollbackInstanceRefresh"): GROUP,
    ("autoscaling", "DescribeScalingActivities"): GROUP,
    ("autoscaling", "DescribePolicies"): GROUP,
    ("autoscaling", "PutScalingPolicy"): {
        **GROUP,
        "PolicyName": "p",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingConfiguration": {
            "TargetValue": 50.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
        },
    },
    ("autoscaling", "DeletePolicy"): {**GROUP, "PolicyName": "p"},
    ("autoscaling", "ExecutePolicy"): {**GROUP, "PolicyName": "p"},
    ("ec2", "CreateLaunchTemplateVersion"): {**TEMPLATE, "LaunchTemplateData": {"ImageId": "v2"}},
    ("ec2", "DescribeLaunchTemplates"): {},
    ("ec2", "DescribeLaunchTemplateVersions"): TEMPLATE,
    ("ec2", "ModifyLaunchTemplate"): {**TEMPLATE, "DefaultVersion": "1"},
    ("ec2", "DescribeInstances"): {},
    ("elbv2", "DescribeLoadBalancers"): {},
    ("elbv2", "DescribeTargetGroups"): {},
    ("elbv2", "DescribeTargetHealth"): {"TargetGroupArn": TG},
    ("cloudwatch", "GetDashboard"): {"DashboardName": "restaurant-dev-dashboard"},
    ("cloudwatch", "ListDashboards"): {},
    ("elbv2", "DescribeListeners"): {"ListenerArns": ["arn:aws:elasticloadbalancing:x:1:listener/app/a/b/c"]},
    ("cloudwatch", "DescribeAlarms"): {},
    ("cloudwatch", "SetAlarmState"): {
        "AlarmName": "restaurant-menu-high-5xx",
        "StateValue": "OK",
        "StateReason": "x",
    },
    ("cloudwatch", "EnableAlarmActions"): {"AlarmNames": ["restaurant-menu-high-5xx"]},
    ("cloudwatch", "DisableAlarmActions"): {"AlarmNames": ["restaurant-menu-high-5xx"]},
    ("cloudwatch", "GetMetricStatistics"): {
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "RequestCount",
        "StartTime": 0,
        "EndTime": 600,
        "Period": 60,
        "Statistics": ["Sum"],
    },
    ("cloudwatch", "GetMetricData"): {"MetricDataQueries": [], "StartTime": 0, "EndTime": 600},
    ("logs", "DescribeLogGroups"): {},
    ("logs", "FilterLogEvents"): {"logGroupName": "/aws/ec2/restaurant-menu"},
    ("logs", "StartQuery"): {
        "logGroupName": "/aws/ec2/restaurant-menu",
        "startTime": 0,
        "endTime": 600,
        "queryString": "fields @message",
    },
    ("logs", "GetQueryResults"): {"queryId": "unknown"},
    ("secretsmanager", "DescribeSecret"): SECRET,
    ("secretsmanager", "ListSecrets"): {},
    ("secretsmanager", "ListSecretVersionIds"): SECRET,
    ("secretsmanager", "GetSecretValue"): SECRET,
    ("secretsmanager", "CreateSecret"): {"Name": "made-here", "SecretString": "made-value"},
    ("secretsmanager", "PutSecretValue"): {**SECRET, "SecretString": "new-value"},
    ("secretsmanager", "UpdateSecret"): {**SECRET, "SecretString": "new-value"},
    ("secretsmanager", "UpdateSecretVersionStage"): {**SECRET, "VersionStage": "AWSPENDING"},
    ("secretsmanager", "TagResource"): {**SECRET, "Tags": [{"Key": "a", "Value": "b"}]},
    ("secretsmanager", "UntagResource"): {**SECRET, "TagKeys": ["a"]},
    ("secretsmanager", "DeleteSecret"): SECRET,
    ("secretsmanager", "RestoreSecret"): SECRET,
    ("secretsmanager", "RotateSecret"): {**SECRET, "RotateImmediately": False},
}
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
UNKNOWN = {"InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    """One app for the module: every test here only reads which calls are refused."""
    with api_harness(tmp_path_factory.mktemp("awsauth") / "state") as harness:
        yield harness


@pytest.fixture(scope="module")
def served(api: ApiHarness) -> Iterator[str]:
    api.app.state.environments = in_memory_environments(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    with serving(api.app) as url:
        yield url


def _code(url: str, service: str, operation: str, token: str) -> str | None:
    client = boto3.client(
        service, endpoint_url=url, region_name=REGION, aws_access_key_id=token,
        aws_secret_access_key="unused", config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip
    try:
        getattr(client, xform_name(operation))(**CALLS[(service, operation)])
    except ClientError as err:
        return str(err.response["Error"]["Code"])
    return None


def test_every_operation_is_in_the_table() -> None:
    assert set(CALLS) == set(OPERATIONS)


def test_reads_are_for_viewers_changes_for_operators_and_values_for_admins() -> None:
    changes = {key for key, op in OPERATIONS.items() if op.role is Role.OPERATOR}
    assert {op for _, op in changes} == {
        "SetDesiredCapacity", "UpdateAutoScalingGroup", "StartInstanceRefresh", "CancelInstanceRefresh",
        "RollbackInstanceRefresh", "CreateLaunchTemplateVersion", "ModifyLaunchTemplate", "SetAlarmState",
        "EnableAlarmActions", "DisableAlarmActions", "CreateSecret", "PutSecretValue", "UpdateSecret",
        "UpdateSecretVersionStage", "TagResource", "UntagResource", "RestoreSecret", "PutScalingPolicy",
        "DeletePolicy", "ExecutePolicy", "RotateSecret",
    }  # fmt: skip
    # A value is revealed to admins only, as by `fleetops secrets get --reveal`.
    admin = {op for (_, op), operation in OPERATIONS.items() if operation.role is Role.ADMIN}
    assert admin == {"GetSecretValue", "DeleteSecret"}
    readers = {op.role for key, op in OPERATIONS.items() if key not in changes and op.name not in admin}
    assert readers == {Role.VIEWER}


@pytest.mark.parametrize("key", sorted(OPERATIONS), ids=lambda key: f"{key[0]}.{key[1]}")
def test_the_role_is_enforced(api: ApiHarness, served: str, key: tuple[str, str]) -> None:
    needed = OPERATIONS[key].role
    codes = {role: _code(served, *key, api.tokens[role]) for role in (Role.VIEWER, Role.OPERATOR)}
    for role, code in codes.items():
        assert (code in DENIED) == (role.rank < needed.rank), (role, code)
    assert _code(served, *key, "fo_not-a-token") in UNKNOWN
