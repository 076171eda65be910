"""Auto Scaling policies over the local autoscaler: one target tracking policy per group, on the
group's average CPU (ASGAverageCPUUtilization), which the control plane's autoscaler runs.

A group's policy is its service's ``scaling`` in the fleet file, until PutScalingPolicy sets
another (its target, DisableScaleIn, EstimatedInstanceWarmup; the fleet file's cooldowns stay)
or DeletePolicy removes it; both are kept in the store (``store.scaling_policies``), so they
survive a restart, and take effect at the autoscaler's next look. A group has one policy here:
a put under another name replaces it. Simple and step scaling, other metrics and predictive
scaling have no local meaning and are refused.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fleetops.control.fleet import FleetRuntime
from fleetops.server.aws import pages
from fleetops.server.aws.errors import validation
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import Group
from fleetops.server.roles import Role
from fleetops.store.scaling_policies import ScalingPolicyRow

ASG = "autoscaling"
CPU = "ASGAverageCPUUtilization"


def _group(call: Call, name: str) -> Group:
    return call.group(
        name, not_found=validation(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    )


def policy_arn(group: Group, name: str) -> str:
    """The policy's ARN (stable for a group and a name)."""
    account_part = group.arn.split(":autoScalingGroup:")[0]
    policy_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{group.arn}/{name}")
    return f"{account_part}:scalingPolicy:{policy_id}:autoScalingGroupName/{group.name}:policyName/{name}"


def policy(call: Call, group: Group) -> dict[str, Any] | None:
    """The group's policy as DescribePolicies shows it (None: it has none)."""
    spec = group.runtime.fleet.service(group.service, group.environment)
    row = call.store.scaling_policies.get(group.environment, group.service)
    if row is not None:
        if row.target_cpu is None:
            return None
        name, target, no_scale_in = row.name, row.target_cpu, row.disable_scale_in
        warmup_s = row.warmup_s if row.warmup_s is not None else round(spec.deploy.warmup.total_seconds())
    elif spec.scaling is not None:
        scaling = spec.scaling
        name, target, no_scale_in = f"{group.name}-target-cpu", scaling.target_cpu, scaling.disable_scale_in
        warmup = scaling.warmup if scaling.warmup is not None else spec.deploy.warmup
        warmup_s = round(warmup.total_seconds())
    else:
        return None
    return {
        "AutoScalingGroupName": group.name,
        "PolicyName": name,
        "PolicyARN": policy_arn(group, name),
        "PolicyType": "TargetTrackingScaling",
        "EstimatedInstanceWarmup": warmup_s,
        "Alarms": [],
        "TargetTrackingConfiguration": {
            "PredefinedMetricSpecification": {"PredefinedMetricType": CPU},
            "TargetValue": target,
            "DisableScaleIn": no_scale_in,
        },
        "Enabled": True,
    }


def _apply(group: Group) -> None:
    # The autoscaler of a local environment runs it from its next look on.
    if isinstance(group.runtime, FleetRuntime):
        group.runtime.apply_scaling_policy(group.service)


@operation(ASG, "DescribePolicies")
def describe_policies(call: Call, params: Params) -> Output:
    """Each group's policy: the one PutScalingPolicy set, else its fleet file's ``scaling``."""
    name = params.get("AutoScalingGroupName")
    chosen = [_group(call, name)] if name else list(call.groups())
    names = set(params.get("PolicyNames") or [])
    types = set(params.get("PolicyTypes") or [])
    found = []
    for group in chosen:
        shown = policy(call, group)
        if shown is None or (names and shown["PolicyName"] not in names):
            continue
        if types and "TargetTrackingScaling" not in types:
            continue
        found.append(shown)
    page, token = pages.page(found, params, default=50, limit=100)
    return {"ScalingPolicies": page, "NextToken": token}


@operation(ASG, "PutScalingPolicy", Role.OPERATOR, target="AutoScalingGroupName")
def put_scaling_policy(call: Call, params: Params) -> Output:
    """Set the group's target tracking policy on its average CPU."""
    group = _group(call, params["AutoScalingGroupName"])
    kind = params.get("PolicyType", "SimpleScaling")
    if kind != "TargetTrackingScaling":
        raise validation(
            f"PolicyType {kind} has no local meaning: fleetops' autoscaler tracks a target "
            f"(PolicyType TargetTrackingScaling on {CPU})"
        )
    config = params.get("TargetTrackingConfiguration")
    if config is None:
        raise validation("TargetTrackingConfiguration is required for a TargetTrackingScaling policy")
    metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    if metric != CPU or "CustomizedMetricSpecification" in config:
        raise validation(f"fleetops' autoscaler tracks {CPU} only, not {metric or 'a customized metric'}")
    target = float(config["TargetValue"])
    if not 0 < target <= 100:
        raise validation(f"TargetValue {target} must be above 0 and at most 100 (percent CPU)")
    if params.get("Enabled") is False:
        raise validation("a disabled policy has no local meaning: delete it (delete-policy)")
    call.gate(group, f"PutScalingPolicy of {group.name}")
    call.store.scaling_policies.put(
        ScalingPolicyRow(
            environment=group.environment, service=group.service, name=params["PolicyName"],
            target_cpu=target, disable_scale_in=bool(config.get("DisableScaleIn", False)),
            warmup_s=params.get("EstimatedInstanceWarmup"), updated_at=datetime.now(UTC),
            updated_by=call.principal.name,
        )
    )  # fmt: skip
    _apply(group)
    return {"PolicyARN": policy_arn(group, params["PolicyName"]), "Alarms": []}


@operation(ASG, "DeletePolicy", Role.OPERATOR, target="PolicyName")
def delete_policy(call: Call, params: Params) -> Output:
    """Remove the group's policy (also the fleet file's, until one is put again)."""
    name = params["PolicyName"]
    if params.get("AutoScalingGroupName"):
        group = _group(call, params["AutoScalingGroupName"])
    else:  # a policy ARN names its group
        group = _group(call, name.split(":autoScalingGroupName/", 1)[-1].split(":policyName/", 1)[0])
        name = name.split(":policyName/", 1)[-1]
    shown = policy(call, group)
    if shown is None or shown["PolicyName"] != name:
        raise validation(f"policy {name} of {group.name} does not exist")
    call.gate(group, f"DeletePolicy of {group.name}")
    call.store.scaling_policies.put(
        ScalingPolicyRow(
            environment=group.environment, service=group.service, name=name, target_cpu=None,
            disable_scale_in=False, warmup_s=None, updated_at=datetime.now(UTC),
            updated_by=call.principal.name,
        )
    )  # fmt: skip
    _apply(group)
    return {}
