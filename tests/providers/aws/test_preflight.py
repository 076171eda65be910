"""``fleetops up --env prod`` checks the account and every resource before anything starts.

No shim: every call is moto's (its IAM simulation where a test enables it).
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from moto.core.authorization import enable_iam_authentication

from fleetops.testing.moto import MotoEndpoint
from fleetops.testing.server import run_cli


def test_each_difference_is_printed_with_what_to_change_and_nothing_starts(
    moto: MotoEndpoint, example: Path
) -> None:
    bootstrapped = run_cli(
        ["aws", "bootstrap", "--env", "prod", "--image-id", "ami-12c6146b"], cwd=example, env=moto.env
    )
    assert bootstrapped.returncode == 0, bootstrapped.stderr
    autoscaling = boto3.client("autoscaling", region_name="eu-west-1")
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="restaurant-menu", MaxSize=9)
    elbv2 = boto3.client("elbv2", region_name="eu-west-1")
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["restaurant-menu"])[
        "AutoScalingGroups"
    ]
    elbv2.modify_target_group(TargetGroupArn=group["TargetGroupARNs"][0], HealthCheckPath="/ping")
    up = run_cli(["up", "--env", "prod"], cwd=example, env=moto.env)
    assert up.returncode == 2
    lines = [line.strip() for line in up.stderr.splitlines()]
    assert any(
        "services.menu.instances.max: group restaurant-menu has MaxSize 9, the file says 6" in line
        for line in lines
    ), up.stderr
    assert any(
        "services.menu.health.path: target group menu has HealthCheckPath /ping" in line for line in lines
    )
    assert not (example / ".fleetops" / "server.json").exists()


def test_a_missing_iam_permission_names_the_action_and_the_resource(
    moto: MotoEndpoint, example: Path
) -> None:
    assert (
        run_cli(["aws", "bootstrap", "--env", "prod", "--image-id", "ami-12c6146b"], cwd=example).returncode
        == 0
    )
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="deployer")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sts:GetCallerIdentity", "ec2:Describe*", "elasticloadbalancing:Describe*"],
                "Resource": "*",
            }
        ],
    }
    iam.put_user_policy(UserName="deployer", PolicyName="no-autoscaling", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    env = {
        **moto.env,
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        "AWS_SESSION_TOKEN": "",
    }
    with enable_iam_authentication():
        up = run_cli(["up", "--env", "prod"], cwd=example, env=env)
    assert up.returncode == 3, up.stderr
    message = " ".join(up.stderr.split())
    assert (
        "missing IAM permission: autoscaling:DescribeAutoScalingGroups on restaurant-auth was refused"
        in message
    )


def test_a_missing_ecs_service_is_a_difference(moto: MotoEndpoint, example: Path) -> None:
    fleet_file = example / "fleet.yaml"
    text = fleet_file.read_text().replace(
        "    overrides:\n      prod:\n        instances: {min: 2, desired: 2, max: 4}",
        "    overrides:\n      prod:\n        aws: {ecs_cluster: restaurant, ecs_service: notifications}\n"
        "        instances: {min: 2, desired: 2, max: 4}",
    )
    fleet_file.write_text(text)
    assert (
        run_cli(
            ["aws", "bootstrap", "--env", "prod", "--image-id", "ami-12c6146b"], cwd=example, env=moto.env
        ).returncode
        == 0
    )
    boto3.client("ecs", region_name="eu-west-1").create_cluster(clusterName="restaurant")
    up = run_cli(["up", "--env", "prod"], cwd=example, env=moto.env)
    assert up.returncode == 2
    message = " ".join(up.stderr.split())
    assert (
        "services.notifications.aws.ecs_service: no ECS service 'notifications' in cluster 'restaurant'"
        in message
    )
    assert not (example / ".fleetops" / "server.json").exists()
