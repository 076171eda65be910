"""The AWS names of a fleet's resources, from each service's ``aws:`` block or derived.

A local environment answers to the same names its ``aws:`` blocks give (so a runbook written for
prod runs against dev with only the endpoint changed); a service without one is named after the
fleet, the environment and the service.
"""

from __future__ import annotations

from fleetops.spec.fleet import Fleet


def auto_scaling_group_name(fleet: Fleet, environment: str, service: str) -> str:
    """The service's Auto Scaling group: its ``aws.auto_scaling_group``, else ``fleet-env-service``."""
    aws = fleet.service(service, environment).aws
    return (aws.auto_scaling_group if aws else None) or f"{fleet.name}-{environment}-{service}"


def log_group_name(fleet: Fleet, environment: str, service: str) -> str:
    """The CloudWatch Logs group of the service's instances: its ``aws.log_group``, else
    ``/ecs/<service>`` for an ECS service, else ``/aws/ec2/<group>`` as the seeds'."""
    aws = fleet.service(service, environment).aws
    if aws is not None and aws.log_group:
        return aws.log_group
    if aws is not None and aws.ecs:
        return f"/ecs/{aws.ecs_service}"
    return f"/aws/ec2/{auto_scaling_group_name(fleet, environment, service)}"
