"""Before an aws environment is acted on: the credentials' account and region, and every resource
the fleet file names, checked against AWS (``fleetops up --env prod``).

Every difference is collected, each naming the fleet file field, what AWS has, and what to
change; they are raised at once as ``BadInput`` (exit 2). A missing IAM permission stops the
check as ``MissingPermission`` (exit 3) naming the action and the resource.
"""

from __future__ import annotations

from typing import Any

from fleetops.errors import BadInput
from fleetops.providers.aws.session import AwsClients, AwsError, aws_call
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import AwsService, AwsSettings, HealthCheck, Instances

BOOTSTRAP = "`fleetops aws bootstrap --env {env}` creates what is missing"


def identity(clients: AwsClients) -> dict[str, str]:
    """STS GetCallerIdentity: ``Account``, ``Arn``, ``UserId``."""
    found = aws_call("sts:GetCallerIdentity", "the caller", clients.sts.get_caller_identity)
    return {key: str(found.get(key, "")) for key in ("Account", "Arn", "UserId")}


def account_problems(fleet: Fleet, environment: str, clients: AwsClients) -> list[str]:
    """The credentials' account against ``account_id``, and the ARNs' accounts and regions."""
    settings = fleet.environments[environment]
    assert isinstance(settings, AwsSettings)
    who = identity(clients)
    problems = []
    if settings.account_id is not None and who["Account"] != settings.account_id:
        problems.append(
            f"environments.{environment}.account_id: the credentials in use ({who['Arn']}) are of account "
            f"{who['Account']}, the fleet file says {settings.account_id}: use credentials of that "
            "account (AWS_PROFILE or the environment's `profile`), or correct account_id"
        )
    for name in fleet.services:
        aws = fleet.service(name, environment).aws
        if aws is None or aws.target_group_arn is None:
            continue
        parts = aws.target_group_arn.split(":")
        if len(parts) > 4 and parts[3] != settings.region:
            problems.append(
                f"services.{name}.aws.target_group_arn: the target group is in region {parts[3]}, the "
                f"environment in {settings.region}: a group only uses target groups of its region"
            )
        if len(parts) > 4 and settings.account_id is not None and parts[4] != settings.account_id:
            problems.append(
                f"services.{name}.aws.target_group_arn: the target group is of account {parts[4]}, the "
                f"environment of {settings.account_id}"
            )
    return problems


def preflight(fleet: Fleet, environment: str, clients: AwsClients) -> None:
    """Check the account and every named resource; ``BadInput`` listing every difference."""
    problems = account_problems(fleet, environment, clients)
    for name in fleet.services:
        service = fleet.service(name, environment)
        if service.aws is None:
            problems.append(f"services.{name}.aws: missing for aws environment {environment!r}")
        elif service.aws.ecs:
            problems += ecs_problems(clients, environment, name, service.aws)
        else:
            problems += group_problems(
                clients, environment, name=name, aws=service.aws, instances=service.instances,
                health=service.health,
            )  # fmt: skip
    if problems:
        raise BadInput(
            f"environment {environment!r} does not match AWS ({len(problems)} difference"
            f"{'s' if len(problems) != 1 else ''}); nothing was changed",
            problems,
        )


def group_problems(
    clients: AwsClients,
    environment: str,
    *,
    name: str,
    aws: AwsService,
    instances: Instances,
    health: HealthCheck,
) -> list[str]:
    """The differences between an Auto Scaling service and AWS."""
    where = f"services.{name}.aws"
    hint = BOOTSTRAP.format(env=environment)
    problems = []
    groups = aws_call(
        "autoscaling:DescribeAutoScalingGroups",
        str(aws.auto_scaling_group),
        clients.autoscaling.describe_auto_scaling_groups,
        AutoScalingGroupNames=[aws.auto_scaling_group],
    )["AutoScalingGroups"]
    templates = _describe_or_none(
        "ec2:DescribeLaunchTemplates",
        str(aws.launch_template_id),
        lambda: clients.ec2.describe_launch_templates(LaunchTemplateIds=[aws.launch_template_id]),
        "LaunchTemplates",
        missing=("InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateId.Malformed"),
    )
    target_groups = _describe_or_none(
        "elasticloadbalancing:DescribeTargetGroups",
        str(aws.target_group_arn),
        lambda: clients.elbv2.describe_target_groups(TargetGroupArns=[aws.target_group_arn]),
        "TargetGroups",
        missing=("TargetGroupNotFound",),
    )
    if not templates:
        problems.append(f"{where}.launch_template_id: no launch template {aws.launch_template_id}; {hint}")
    if not target_groups:
        problems.append(f"{where}.target_group_arn: no target group {aws.target_group_arn}; {hint}")
    else:
        problems += health_problems(where, target_groups[0], health)
    if not groups:
        problems.append(
            f"{where}.auto_scaling_group: no Auto Scaling group {aws.auto_scaling_group!r}; {hint}"
        )
        return problems
    group = groups[0]
    spec = group.get("LaunchTemplate") or {}
    if spec.get("LaunchTemplateId") != aws.launch_template_id:
        problems.append(
            f"{where}.launch_template_id: group {aws.auto_scaling_group} launches from "
            f"{spec.get('LaunchTemplateId') or 'no launch template (a launch configuration?)'}, the file "
            f"says {aws.launch_template_id}: correct the file, or `aws autoscaling update-auto-scaling-group "
            f"--auto-scaling-group-name {aws.auto_scaling_group} --launch-template "
            f"LaunchTemplateId={aws.launch_template_id},Version=<number>`"
        )
    if aws.target_group_arn not in group.get("TargetGroupARNs", []):
        problems.append(
            f"{where}.target_group_arn: group {aws.auto_scaling_group} is not attached to it: "
            "`aws autoscaling attach-load-balancer-target-groups "
            f"--auto-scaling-group-name {aws.auto_scaling_group} --target-group-arns {aws.target_group_arn}`"
        )
    for label, key, want in (("min", "MinSize", instances.min), ("max", "MaxSize", instances.max)):
        if int(group.get(key, -1)) != want:
            problems.append(
                f"services.{name}.instances.{label}: group {aws.auto_scaling_group} has {key} "
                f"{group.get(key)}, the file says {want}: `aws autoscaling update-auto-scaling-group "
                f"--auto-scaling-group-name {aws.auto_scaling_group} --{label}-size {want}`, "
                "or correct the file"
            )
    return problems


def ecs_problems(clients: AwsClients, environment: str, name: str, aws: AwsService) -> list[str]:
    """The differences between an ECS service and AWS: the cluster and the service exist."""
    found = aws_call(
        "ecs:DescribeServices",
        f"{aws.ecs_cluster}/{aws.ecs_service}",
        clients.ecs.describe_services,
        cluster=aws.ecs_cluster,
        services=[aws.ecs_service],
    )
    if [s for s in found.get("services", []) if s.get("status") != "INACTIVE"]:
        return []
    return [
        f"services.{name}.aws.ecs_service: no ECS service {aws.ecs_service!r} in cluster {aws.ecs_cluster!r} "
        f"(`fleetops aws bootstrap` does not create ECS services: create it, or correct the file)"
    ]


def health_problems(where: str, group: dict[str, Any], health: HealthCheck) -> list[str]:
    """The differences between a target group's health check and the service's ``health``."""
    arn = group["TargetGroupArn"]
    service = where.removesuffix(".aws")
    wanted = {
        "HealthCheckPath": ("path", health.path, "--health-check-path"),
        "HealthCheckIntervalSeconds": (
            "interval", round(health.interval.total_seconds()), "--health-check-interval-seconds",
        ),
        "HealthCheckTimeoutSeconds": (
            "timeout", round(health.timeout.total_seconds()), "--health-check-timeout-seconds",
        ),
        "HealthyThresholdCount": ("healthy_threshold", health.healthy_threshold, "--healthy-threshold-count"),
        "UnhealthyThresholdCount": (
            "unhealthy_threshold", health.unhealthy_threshold, "--unhealthy-threshold-count",
        ),
    }  # fmt: skip
    problems = []
    for key, (field, want, flag) in wanted.items():
        have = group.get(key)
        if have is not None and have != want:
            problems.append(
                f"{service}.health.{field}: target group {group.get('TargetGroupName', arn)} has {key} "
                f"{have}, the file says {want}: `aws elbv2 modify-target-group --target-group-arn {arn} "
                f"{flag} {want}`, or correct the file"
            )
    matcher = (group.get("Matcher") or {}).get("HttpCode")
    if matcher is not None and matcher != health.matcher:
        problems.append(
            f"{service}.health.matcher: target group {group.get('TargetGroupName', arn)} counts {matcher} "
            f"healthy, the file says {health.matcher}: `aws elbv2 modify-target-group --target-group-arn "
            f"{arn} --matcher HttpCode={health.matcher}`, or correct the file"
        )
    return problems


def _describe_or_none(
    action: str, resource: str, call: Any, key: str, *, missing: tuple[str, ...]
) -> list[dict[str, Any]]:
    try:
        return list(aws_call(action, resource, call)[key])
    except AwsError as err:
        if err.code in missing:
            return []
        raise
