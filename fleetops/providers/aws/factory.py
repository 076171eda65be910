"""The ``ServiceBackend`` of each service of an aws environment: ECS or Auto Scaling."""

from __future__ import annotations

from fleetops.providers.aws.autoscaling import AutoScalingService
from fleetops.providers.aws.backend import ServiceBackend
from fleetops.providers.aws.ecs import EcsService
from fleetops.providers.aws.session import AwsClients
from fleetops.spec.fleet import Fleet


def backends_of(fleet: Fleet, environment: str, clients: AwsClients) -> dict[str, ServiceBackend]:
    """Service name -> its backend, for every service of ``fleet`` in ``environment``."""
    out: dict[str, ServiceBackend] = {}
    for name in fleet.services:
        aws = fleet.service(name, environment).aws
        if aws is None:  # the fleet file's checks refuse this for an aws environment
            raise ValueError(f"service {name!r} has no aws block for environment {environment!r}")
        service = fleet.service(name, environment)
        if aws.ecs:
            out[name] = EcsService(clients, name, aws, service.instances, service.scaling)
        else:
            out[name] = AutoScalingService(clients, name, aws, service.instances)
    return out
