"""Elastic Load Balancing v2 over the local fleet: each service's HAProxy frontend is an
Application Load Balancer with one target group, whose targets are the service's instances and
whose health is HAProxy's checks (the fleet file's ``health``)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fleetops.runbooks.ports import InstanceStatus, ServiceStatus
from fleetops.server.aws import pages
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import Group

ELB = "elbv2"
# The target-group words for an instance: its health (and lifecycle state) -> (State, Reason).
_HEALTH = {
    "initial": ("initial", "Elb.InitialHealthChecking"),
    "healthy": ("healthy", None),
    "unhealthy": ("unhealthy", "Target.FailedHealthChecks"),
    "draining": ("draining", "Target.DeregistrationInProgress"),
    "unused": ("unused", "Target.NotRegistered"),
}


def _status(group: Group) -> ServiceStatus | None:
    return next((s for s in group.runtime.services_status().services if s.name == group.service), None)


def _started(status: ServiceStatus | None, now: datetime) -> datetime:
    started = [i.started_at for i in status.instances] if status else []
    return min(started) if started else now


def _host_port(group: Group) -> tuple[str, int]:
    url = urlsplit(group.runtime.endpoint(group.service))
    return url.hostname or "127.0.0.1", url.port or 80


def _load_balancer(group: Group, now: datetime) -> dict[str, Any]:
    host, port = _host_port(group)
    return {
        "LoadBalancerArn": group.load_balancer_arn,
        "DNSName": f"{host}:{port}",
        "CanonicalHostedZoneId": "ZLOCALFLEETOPS",
        "CreatedTime": _started(_status(group), now),
        "LoadBalancerName": group.load_balancer_name,
        "Scheme": "internal",
        "VpcId": "vpc-local",
        "State": {"Code": "active"},
        "Type": "application",
        "AvailabilityZones": [{"ZoneName": f"{group.region}a", "SubnetId": "subnet-local"}],
        "SecurityGroups": [],
        "IpAddressType": "ipv4",
    }


def _target_group(group: Group) -> dict[str, Any]:
    health = group.runtime.fleet.service(group.service, group.environment).health
    _, port = _host_port(group)
    return {
        "TargetGroupArn": group.target_group_arn,
        "TargetGroupName": group.target_group_name,
        "Protocol": "HTTP",
        "Port": port,
        "VpcId": "vpc-local",
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": str(health.port) if health.port else "traffic-port",
        "HealthCheckEnabled": True,
        "HealthCheckIntervalSeconds": max(1, round(health.interval.total_seconds())),
        "HealthCheckTimeoutSeconds": max(1, round(health.timeout.total_seconds())),
        "HealthyThresholdCount": health.healthy_threshold,
        "UnhealthyThresholdCount": health.unhealthy_threshold,
        "HealthCheckPath": health.path,
        "Matcher": {"HttpCode": health.matcher},
        "LoadBalancerArns": [group.load_balancer_arn],
        "TargetType": "instance",
        "ProtocolVersion": "HTTP1",
        "IpAddressType": "ipv4",
    }


def _not_found(kind: str, value: str) -> AwsError:
    shape = "LoadBalancerNotFoundException" if kind == "load balancer" else "TargetGroupNotFoundException"
    return AwsError(shape, f"One or more {kind}s not found: {value}")


@operation(ELB, "DescribeLoadBalancers")
def describe_load_balancers(call: Call, params: Params) -> Output:
    """The load balancers named (by ARN or name; all when none is)."""
    arns, names = params.get("LoadBalancerArns") or [], params.get("Names") or []
    groups = list(call.groups())
    for arn in arns:
        if not any(g.load_balancer_arn == arn for g in groups):
            raise _not_found("load balancer", arn)
    for name in names:
        if not any(g.load_balancer_name == name for g in groups):
            raise _not_found("load balancer", name)
    chosen = [
        g
        for g in groups
        if (not arns or g.load_balancer_arn in arns) and (not names or g.load_balancer_name in names)
    ]
    page, marker = _page(chosen, params)
    return {"LoadBalancers": [_load_balancer(g, call.clock.now()) for g in page], "NextMarker": marker}


@operation(ELB, "DescribeTargetGroups")
def describe_target_groups(call: Call, params: Params) -> Output:
    """The target groups named (by ARN, name or load balancer; all when none is)."""
    arns, names = params.get("TargetGroupArns") or [], params.get("Names") or []
    balancer = params.get("LoadBalancerArn")
    groups = list(call.groups())
    if balancer is not None and not any(g.load_balancer_arn == balancer for g in groups):
        raise _not_found("load balancer", balancer)
    for value, attribute in [
        *((a, "target_group_arn") for a in arns),
        *((n, "target_group_name") for n in names),
    ]:
        if not any(getattr(g, attribute) == value for g in groups):
            raise _not_found("target group", value)
    chosen = [
        g
        for g in groups
        if (not arns or g.target_group_arn in arns)
        and (not names or g.target_group_name in names)
        and balancer in (None, g.load_balancer_arn)
    ]
    page, marker = _page(chosen, params)
    return {"TargetGroups": [_target_group(g) for g in page], "NextMarker": marker}


@operation(ELB, "DescribeTargetHealth")
def describe_target_health(call: Call, params: Params) -> Output:
    """Each registered instance of the target group and its health as HAProxy's checks see it."""
    arn = params["TargetGroupArn"]
    group = call.resource(arn, by="target_group_arn", not_found=_not_found("target group", arn))
    status = _status(group)
    instances = [i for i in (status.instances if status else ()) if i.state != "Terminated"]
    wanted = {target["Id"] for target in params.get("Targets") or []}
    known = {i.id for i in instances}
    out = [_health(i) for i in instances if not wanted or i.id in wanted]
    unregistered = {
        "State": "unused",
        "Reason": "Target.NotRegistered",
        "Description": "Target is not registered to the target group",
    }
    out += [{"Target": {"Id": target}, "TargetHealth": unregistered} for target in sorted(wanted - known)]
    return {"TargetHealthDescriptions": out}


def _health(instance: InstanceStatus) -> dict[str, Any]:
    health = "draining" if instance.state in ("Draining", "Terminating") else instance.health
    state, reason = _HEALTH.get(health, ("unavailable", "Elb.InternalError"))
    target_health: dict[str, Any] = {"State": state}
    if reason is not None:
        target_health["Reason"] = reason
        target_health["Description"] = instance.health_reason or reason
    return {
        "Target": {"Id": instance.id, "Port": instance.port},
        "HealthCheckPort": str(instance.port),
        "TargetHealth": target_health,
    }


def _page(items: list[Group], params: Params) -> tuple[list[Group], str | None]:
    return pages.page(items, params, default=400, limit=400, size_key="PageSize", token_key="Marker")


def _listener_arn(group: Group) -> str:
    prefix, _, rest = group.load_balancer_arn.partition(":loadbalancer/")
    return f"{prefix}:listener/{rest}/{hashlib.sha256(rest.encode()).hexdigest()[:16]}"


def _listener(group: Group) -> dict[str, Any]:
    _, port = _host_port(group)
    target = group.target_group_arn
    forward = {
        "Type": "forward",
        "TargetGroupArn": target,
        "Order": 1,
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": target, "Weight": 1}]},
    }
    return {
        "ListenerArn": _listener_arn(group),
        "LoadBalancerArn": group.load_balancer_arn,
        "Port": port,
        "Protocol": "HTTP",
        "DefaultActions": [forward],
    }


@operation(ELB, "DescribeListeners")
def describe_listeners(call: Call, params: Params) -> Output:
    """Each load balancer's one listener: HAProxy's HTTP frontend port, forwarding to its
    target group (no HTTPS here: a ``Port==`443``` query finds none)."""
    arn, listeners = params.get("LoadBalancerArn"), params.get("ListenerArns") or []
    if (arn is None) == (not listeners):
        raise AwsError("ValidationError", "give either LoadBalancerArn or ListenerArns")
    groups = list(call.groups())
    if arn is not None:
        chosen = [g for g in groups if g.load_balancer_arn == arn]
        if not chosen:
            raise _not_found("load balancer", arn)
    else:
        chosen = [g for g in groups if _listener_arn(g) in listeners]
        missing = set(listeners) - {_listener_arn(g) for g in chosen}
        if missing:
            raise AwsError(
                "ListenerNotFoundException", f"One or more listeners not found: {sorted(missing)[0]}"
            )
    page, marker = _page(chosen, params)
    return {"Listeners": [_listener(g) for g in page], "NextMarker": marker}
