"""``fleetops aws bootstrap --env prod``: create what an aws environment's Auto Scaling services
need and the account lacks: a target group (health check from the service's ``health``), a
launch template (``--image-id``, tagged with the first version) and the group itself (capacity
from ``instances``, attached to the target group, in the default VPC's subnets or ``subnets``).

What exists is left as it is. AWS chooses launch template ids and target group ARNs, so each one
made replaces the value the fleet file names: :func:`rewrite_file` puts the new values in the
file (the exact old text replaced, nothing else touched).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetops.errors import BadInput
from fleetops.providers.aws.autoscaling import VERSION_TAG
from fleetops.providers.aws.preflight import _describe_or_none, account_problems
from fleetops.providers.aws.session import AwsClients, aws_call
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import AwsService, Service


@dataclass(frozen=True)
class Made:
    """One resource bootstrap created."""

    service: str
    kind: str
    """``target group``, ``launch template`` or ``Auto Scaling group``."""
    name: str
    identifier: str
    field: str
    """The fleet file field naming it (``services.auth.aws.launch_template_id``)."""
    replaces: str | None
    """The value the file had, to be replaced by ``identifier`` (None: unchanged)."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "service": self.service,
            "kind": self.kind,
            "name": self.name,
            "id": self.identifier,
            "field": self.field,
            "replaces": self.replaces,
        }


def bootstrap(
    fleet: Fleet,
    environment: str,
    clients: AwsClients,
    *,
    image_id: str | None,
    instance_type: str = "t3.micro",
    subnets: Sequence[str] = (),
    first_version: str = "v1",
) -> list[Made]:
    """Create what is missing for ``environment``'s Auto Scaling services; what was made."""
    problems = account_problems(fleet, environment, clients)
    if problems:
        raise BadInput(f"environment {environment!r} cannot be bootstrapped", problems)
    made: list[Made] = []
    subnet_ids = list(subnets) or default_subnets(clients)
    vpc = _vpc_of(clients, subnet_ids[0])
    for name in fleet.services:
        service = fleet.service(name, environment)
        aws = service.aws
        if aws is None or aws.ecs:
            continue
        group_arn = _target_group(clients, name, service, vpc, made)
        template = _launch_template(
            clients, fleet, environment, name, aws, image_id, instance_type, first_version, made
        )
        _group(clients, name, service, template, group_arn, subnet_ids, made)
    return made


def default_subnets(clients: AwsClients) -> list[str]:
    """The default VPC's subnets; BadInput when the region has no default VPC."""
    vpcs = aws_call(
        "ec2:DescribeVpcs",
        "the default VPC",
        clients.ec2.describe_vpcs,
        Filters=[{"Name": "isDefault", "Values": ["true"]}],
    )["Vpcs"]
    if not vpcs:
        raise BadInput("the region has no default VPC: name the subnets for the groups with --subnets")
    found = aws_call(
        "ec2:DescribeSubnets",
        vpcs[0]["VpcId"],
        clients.ec2.describe_subnets,
        Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}],
    )["Subnets"]
    if not found:
        raise BadInput(f"the default VPC {vpcs[0]['VpcId']} has no subnet: name them with --subnets")
    return sorted(s["SubnetId"] for s in found)


def _vpc_of(clients: AwsClients, subnet: str) -> str:
    (found,) = aws_call("ec2:DescribeSubnets", subnet, clients.ec2.describe_subnets, SubnetIds=[subnet])[
        "Subnets"
    ]
    return str(found["VpcId"])


def _target_group(clients: AwsClients, name: str, service: Service, vpc: str, made: list[Made]) -> str:
    aws = service.aws
    assert aws is not None and aws.target_group_arn is not None
    existing = _describe_or_none(
        "elasticloadbalancing:DescribeTargetGroups",
        aws.target_group_arn,
        lambda: clients.elbv2.describe_target_groups(TargetGroupArns=[aws.target_group_arn]),
        "TargetGroups",
        missing=("TargetGroupNotFound",),
    )
    if existing:
        return aws.target_group_arn
    # targetgroup/<name>/<id>: the name the file's ARN gives.
    group_name = aws.target_group_arn.split(":")[-1].split("/")[1]
    health = service.health
    created = aws_call(
        "elasticloadbalancing:CreateTargetGroup",
        group_name,
        clients.elbv2.create_target_group,
        Name=group_name,
        Protocol="HTTP",
        Port=health.port or 80,
        VpcId=vpc,
        TargetType="instance",
        HealthCheckProtocol="HTTP",
        HealthCheckPath=health.path,
        HealthCheckIntervalSeconds=round(health.interval.total_seconds()),
        HealthCheckTimeoutSeconds=round(health.timeout.total_seconds()),
        HealthyThresholdCount=health.healthy_threshold,
        UnhealthyThresholdCount=health.unhealthy_threshold,
        Matcher={"HttpCode": health.matcher},
    )["TargetGroups"][0]
    arn = str(created["TargetGroupArn"])
    made.append(
        Made(
            name,
            "target group",
            group_name,
            arn,
            f"services.{name}.aws.target_group_arn",
            aws.target_group_arn,
        )
    )
    return arn


def _launch_template(  # noqa: PLR0917 - one private step of bootstrap, called once
    clients: AwsClients,
    fleet: Fleet,
    environment: str,
    name: str,
    aws: AwsService,
    image_id: str | None,
    instance_type: str,
    first_version: str,
    made: list[Made],
) -> str:
    assert aws.launch_template_id is not None
    existing = _describe_or_none(
        "ec2:DescribeLaunchTemplates",
        aws.launch_template_id,
        lambda: clients.ec2.describe_launch_templates(LaunchTemplateIds=[aws.launch_template_id]),
        "LaunchTemplates",
        missing=("InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateId.Malformed"),
    )
    if existing:
        return aws.launch_template_id
    image = aws.images.get(first_version) or image_id
    if image is None:
        raise BadInput(
            f"services.{name}.aws: launch template {aws.launch_template_id} does not exist and no image is "
            f"known for {first_version}: pass --image-id ami-... or set aws.images.{first_version}"
        )
    template_name = f"{fleet.name}-{environment}-{name}"
    created = aws_call(
        "ec2:CreateLaunchTemplate",
        template_name,
        clients.ec2.create_launch_template,
        LaunchTemplateName=template_name,
        VersionDescription=f"created by fleetops aws bootstrap ({first_version})",
        LaunchTemplateData={
            "ImageId": image,
            "InstanceType": instance_type,
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": VERSION_TAG, "Value": first_version}]}
            ],
        },
    )["LaunchTemplate"]
    template_id = str(created["LaunchTemplateId"])
    made.append(
        Made(
            name, "launch template", template_name, template_id,
            f"services.{name}.aws.launch_template_id", aws.launch_template_id,
        )
    )  # fmt: skip
    return template_id


def _group(  # noqa: PLR0917 - one private step of bootstrap, called once
    clients: AwsClients,
    name: str,
    service: Service,
    template: str,
    target_group: str,
    subnets: Sequence[str],
    made: list[Made],
) -> None:
    aws = service.aws
    assert aws is not None and aws.auto_scaling_group is not None
    found = aws_call(
        "autoscaling:DescribeAutoScalingGroups",
        aws.auto_scaling_group,
        clients.autoscaling.describe_auto_scaling_groups,
        AutoScalingGroupNames=[aws.auto_scaling_group],
    )["AutoScalingGroups"]
    if found:
        return
    (version,) = aws_call(
        "ec2:DescribeLaunchTemplates",
        template,
        clients.ec2.describe_launch_templates,
        LaunchTemplateIds=[template],
    )["LaunchTemplates"]
    aws_call(
        "autoscaling:CreateAutoScalingGroup",
        aws.auto_scaling_group,
        clients.autoscaling.create_auto_scaling_group,
        AutoScalingGroupName=aws.auto_scaling_group,
        # A number, never $Latest/$Default: what the group launches changes only by a release.
        LaunchTemplate={"LaunchTemplateId": template, "Version": str(version["DefaultVersionNumber"])},
        MinSize=service.instances.min,
        MaxSize=service.instances.max,
        DesiredCapacity=service.instances.desired,
        TargetGroupARNs=[target_group],
        VPCZoneIdentifier=",".join(subnets),
        HealthCheckType="ELB",
        HealthCheckGracePeriod=max(60, round(service.deploy.warmup.total_seconds())),
    )
    made.append(
        Made(name, "Auto Scaling group", aws.auto_scaling_group, aws.auto_scaling_group,
             f"services.{name}.aws.auto_scaling_group", None)
    )  # fmt: skip


def rewrite_file(path: Path, made: Sequence[Made]) -> list[str]:
    """Put the new ids in the fleet file (each old value's exact text replaced); the changes."""
    text = path.read_text()
    changes = []
    for item in made:
        if item.replaces is None or item.replaces == item.identifier:
            continue
        count = text.count(item.replaces)
        if count == 0:
            continue
        text = text.replace(item.replaces, item.identifier)
        changes.append(f"{item.field}: {item.replaces} -> {item.identifier}")
    if changes:
        path.write_text(text)
    return changes
