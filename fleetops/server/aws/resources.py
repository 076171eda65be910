"""The AWS names of the local fleet: one Auto Scaling group (with its launch template, target
group, load balancer and log group) per service of each running environment.

Names come from the service's ``aws:`` block in the fleet file (as it applies to the
environment, overrides included), so a runbook written for prod runs against dev with only its
endpoint changed. Without one they are derived from the fleet, environment and service names:
group and launch template ``<fleet>-<environment>-<service>``, launch template id ``lt-`` and 17
hex digits of a hash of those names, target group ``targetgroup/<environment>-<service>/<hash>``.
Load balancers (one HAProxy frontend per service) take the target group's name; log groups are
``/aws/ec2/<group>`` (``spec.aws_names``, as ``fleetops logs query`` names them).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from fleetops.control.environments import Environments
from fleetops.runbooks.ports import FleetControl
from fleetops.server.aws.errors import AwsError, validation
from fleetops.spec.aws_names import auto_scaling_group_name, log_group_name

ACCOUNT = "123456789012"
"""The account id of every local resource (the one Step Functions ARNs use here too)."""


@dataclass(frozen=True)
class Group:
    """One service of one running environment, under its AWS names."""

    environment: str
    service: str
    runtime: FleetControl
    name: str
    """The Auto Scaling group name."""
    launch_template_id: str
    launch_template_name: str
    target_group_arn: str
    load_balancer_arn: str
    log_group: str
    region: str

    @property
    def arn(self) -> str:
        """The group's ARN."""
        return (
            f"arn:aws:autoscaling:{self.region}:{ACCOUNT}:autoScalingGroup:"
            f"{_digest(self.name)[:8]}-0000-0000-0000-{_digest(self.name)[:12]}:"
            f"autoScalingGroupName/{self.name}"
        )

    def policy_arn(self, name: str) -> str:
        """The ARN of its scaling policy ``name`` (stable for a group and a name)."""
        account_part = self.arn.split(":autoScalingGroup:")[0]
        policy_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.arn}/{name}")
        return f"{account_part}:scalingPolicy:{policy_id}:autoScalingGroupName/{self.name}:policyName/{name}"

    @property
    def target_group_name(self) -> str:
        """The target group's name (from its ARN)."""
        return self.target_group_arn.split(":targetgroup/", 1)[-1].split("/", 1)[0]

    @property
    def target_group_dimension(self) -> str:
        """The ``TargetGroup`` dimension of its CloudWatch metrics (``targetgroup/name/id``)."""
        return "targetgroup/" + self.target_group_arn.split(":targetgroup/", 1)[-1]

    @property
    def load_balancer_name(self) -> str:
        """The load balancer's name."""
        return self.load_balancer_dimension.split("/")[1]

    @property
    def load_balancer_dimension(self) -> str:
        """The ``LoadBalancer`` dimension of its CloudWatch metrics (``app/name/id``)."""
        return self.load_balancer_arn.split(":loadbalancer/", 1)[-1]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def groups(environments: Environments, region: str) -> Iterator[Group]:
    """Every service of every running environment, in start order then fleet-file order."""
    for environment in environments.names():
        runtime = environments.get(environment)
        if runtime is None:
            continue
        fleet = runtime.fleet
        for service in fleet.services:
            spec = fleet.service(service, environment)
            if spec.run is None:
                continue
            key = f"{fleet.name}/{environment}/{service}"
            short = f"{environment}-{service}"[:32]
            aws = spec.aws
            name = auto_scaling_group_name(fleet, environment, service)
            # An ECS service's aws block names no group: the local names serve.
            target_group = (aws.target_group_arn if aws else None) or (
                f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:targetgroup/{short}/{_digest(key)[:16]}"
            )
            tg_region, tg_account = _arn_parts(target_group, region)
            tg_name = target_group.split(":targetgroup/", 1)[-1].split("/", 1)[0]
            load_balancer = (
                f"arn:aws:elasticloadbalancing:{tg_region}:{tg_account}:loadbalancer/app/{tg_name}/"
                f"{_digest(target_group)[:16]}"
            )
            yield Group(
                environment=environment,
                service=service,
                runtime=runtime,
                name=name,
                launch_template_id=(aws.launch_template_id if aws else None) or f"lt-{_digest(key)[:17]}",
                launch_template_name=name,
                target_group_arn=target_group,
                load_balancer_arn=load_balancer,
                log_group=log_group_name(fleet, environment, service),
                region=region,
            )


def _arn_parts(arn: str, region: str) -> tuple[str, str]:
    parts = arn.split(":")
    return (parts[3] or region, parts[4] or ACCOUNT) if len(parts) > 5 else (region, ACCOUNT)


def find(
    environments: Environments, region: str, value: str, *, by: str, not_found: AwsError | None = None
) -> Group:
    """The group whose attribute ``by`` (``name``, ``launch_template_id``, ``target_group_arn``...)
    is ``value``; ``not_found`` (default a ValidationError) when none is, and a ValidationError
    naming the environments when several running environments use that name."""
    found = [group for group in groups(environments, region) if getattr(group, by) == value]
    if len(found) > 1:
        where = ", ".join(sorted({group.environment for group in found}))
        raise validation(
            f"{value} names service {found[0].service!r} in environments {where}: give each "
            f"environment its own name (services.{found[0].service}.overrides.<environment>.aws) or "
            "stop the others"
        )
    if not found:
        raise not_found or validation(f"{value} does not exist here")
    return found[0]
