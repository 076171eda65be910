"""Auto Scaling policies over the local fleet: one target tracking policy per group, on the
group's average CPU (ASGAverageCPUUtilization), which the control plane's autoscaler runs, and
any number of simple scaling policies, run by the alarms whose actions name them and by
ExecutePolicy (``fleetops.control.simple_scaling``).

A group's target tracking policy is its service's ``scaling`` in the fleet file, until
PutScalingPolicy sets another (its target, DisableScaleIn, EstimatedInstanceWarmup; the fleet
file's cooldowns stay) or DeletePolicy removes it; a put under another name replaces it. Both
kinds are kept in the store (``store.scaling_policies``, ``store.simple_policies``), so they
survive a restart. A policy's name is its identity, as on AWS: a put of the other kind under the
same name replaces it. Step scaling, other metrics and predictive scaling have no local meaning
and are refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fleetops.control import simple_scaling
from fleetops.control.fleet import FleetRuntime
from fleetops.control.simple_scaling import InCooldown, PolicyNotFound
from fleetops.errors import BadInput
from fleetops.ops.simple_scaling import SimpleScalingPolicy
from fleetops.server.aws import alarm_targets, pages
from fleetops.server.aws.errors import AwsError, validation
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import Group
from fleetops.server.roles import Role
from fleetops.store.scaling_policies import ScalingPolicyRow
from fleetops.store.simple_policies import SimplePolicyRow

ASG = "autoscaling"
CPU = "ASGAverageCPUUtilization"
SIMPLE = "SimpleScaling"
TRACKING = "TargetTrackingScaling"


def _group(call: Call, name: str) -> Group:
    return call.group(
        name, not_found=validation(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    )


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
        "PolicyARN": group.policy_arn(name),
        "PolicyType": TRACKING,
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


def _simple(call: Call, group: Group) -> list[dict[str, Any]]:
    """The group's simple scaling policies as DescribePolicies shows them."""
    alarms = [t for t in alarm_targets.targets(call) if t.group is not None and t.group.name == group.name]
    out = []
    for row in call.store.simple_policies.list(group.environment, group.service):
        arn = group.policy_arn(row.name)
        shown: dict[str, Any] = {
            "AutoScalingGroupName": group.name,
            "PolicyName": row.name,
            "PolicyARN": arn,
            "PolicyType": SIMPLE,
            "AdjustmentType": row.adjustment_type,
            "ScalingAdjustment": row.scaling_adjustment,
            "Alarms": [
                {"AlarmName": t.name, "AlarmARN": t.arn(call.region)} for t in alarms if arn in t.policy_arns
            ],
            "Enabled": row.enabled,
        }
        if row.cooldown_s is not None:
            shown["Cooldown"] = row.cooldown_s
        if row.min_adjustment_magnitude is not None:
            shown["MinAdjustmentMagnitude"] = row.min_adjustment_magnitude
        out.append(shown)
    return out


@operation(ASG, "DescribePolicies")
def describe_policies(call: Call, params: Params) -> Output:
    """Each group's policies: its target tracking one (the one PutScalingPolicy set, else its
    fleet file's ``scaling``), then its simple scaling ones, by name."""
    name = params.get("AutoScalingGroupName")
    chosen = [_group(call, name)] if name else list(call.groups())
    names = set(params.get("PolicyNames") or [])
    types = set(params.get("PolicyTypes") or [])
    found = []
    for group in chosen:
        tracking = policy(call, group)
        for shown in ([tracking] if tracking else []) + _simple(call, group):
            if names and shown["PolicyName"] not in names and shown["PolicyARN"] not in names:
                continue
            if types and shown["PolicyType"] not in types:
                continue
            found.append(shown)
    page, token = pages.page(found, params, default=50, limit=100)
    return {"ScalingPolicies": page, "NextToken": token}


_NOT_SIMPLE = ("TargetTrackingConfiguration", "StepAdjustments", "MetricAggregationType",
               "EstimatedInstanceWarmup", "PredictiveScalingConfiguration", "MinAdjustmentStep")  # fmt: skip
_NOT_TRACKING = ("AdjustmentType", "ScalingAdjustment", "Cooldown", "MinAdjustmentMagnitude",
                 "StepAdjustments", "MetricAggregationType", "MinAdjustmentStep")  # fmt: skip


@operation(ASG, "PutScalingPolicy", Role.OPERATOR, target="AutoScalingGroupName")
def put_scaling_policy(call: Call, params: Params) -> Output:
    """Add or replace a simple scaling policy, or set the group's target tracking policy on its
    average CPU."""
    group = _group(call, params["AutoScalingGroupName"])
    kind = params.get("PolicyType", SIMPLE)  # AWS's default
    if kind == SIMPLE:
        return _put_simple(call, group, params)
    if kind != TRACKING:
        raise validation(
            f"PolicyType {kind} has no local meaning: fleetops runs SimpleScaling policies and "
            f"one TargetTrackingScaling policy on {CPU} per group"
        )
    given = [name for name in _NOT_TRACKING if name in params]
    if given:
        raise validation(f"{', '.join(given)} are not valid for a TargetTrackingScaling policy")
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
        raise validation("a disabled target tracking policy has no local meaning: delete it (delete-policy)")
    name = params["PolicyName"]
    call.gate(group, f"PutScalingPolicy of {group.name}")
    # A policy's name is its identity on AWS: a put under a simple policy's name replaces it.
    call.store.simple_policies.delete(group.environment, group.service, name)
    call.store.scaling_policies.put(
        ScalingPolicyRow(
            environment=group.environment, service=group.service, name=name,
            target_cpu=target, disable_scale_in=bool(config.get("DisableScaleIn", False)),
            warmup_s=params.get("EstimatedInstanceWarmup"), updated_at=call.clock.now(),
            updated_by=call.principal.name,
        )
    )  # fmt: skip
    _apply(group)
    return {"PolicyARN": group.policy_arn(name), "Alarms": []}


def _put_simple(call: Call, group: Group, params: Params) -> Output:
    given = [name for name in _NOT_SIMPLE if name in params]
    if given:
        raise validation(f"{', '.join(given)} are not valid for a SimpleScaling policy")
    missing = [name for name in ("AdjustmentType", "ScalingAdjustment") if name not in params]
    if missing:
        raise validation(f"{' and '.join(missing)} must be given for a SimpleScaling policy")
    name = params["PolicyName"]
    try:
        simple = SimpleScalingPolicy(
            name=name, adjustment_type=params["AdjustmentType"],
            scaling_adjustment=params["ScalingAdjustment"],
            min_adjustment_magnitude=params.get("MinAdjustmentMagnitude"),
            cooldown_s=params.get("Cooldown"), enabled=params.get("Enabled", True),
        )  # fmt: skip
    except BadInput as err:
        raise validation("; ".join(err.problems) or err.message) from None
    call.gate(group, f"PutScalingPolicy of {group.name}")
    now = call.clock.now()
    tracking = policy(call, group)
    if tracking is not None and tracking["PolicyName"] == name:  # the same name replaces it, as on AWS
        _delete_tracking(call, group, name, now)
    call.store.simple_policies.put(
        SimplePolicyRow(
            environment=group.environment, service=group.service, name=name,
            adjustment_type=simple.adjustment_type, scaling_adjustment=simple.scaling_adjustment,
            min_adjustment_magnitude=simple.min_adjustment_magnitude, cooldown_s=simple.cooldown_s,
            enabled=simple.enabled, executed_at=None, updated_at=now, updated_by=call.principal.name,
        )
    )  # fmt: skip
    arn = group.policy_arn(name)
    alarms = [
        {"AlarmName": t.name, "AlarmARN": t.arn(call.region)}
        for t in alarm_targets.targets(call)
        if arn in t.policy_arns
    ]
    return {"PolicyARN": arn, "Alarms": alarms}


def _delete_tracking(call: Call, group: Group, name: str, now: datetime) -> None:
    call.store.scaling_policies.put(
        ScalingPolicyRow(
            environment=group.environment, service=group.service, name=name, target_cpu=None,
            disable_scale_in=False, warmup_s=None, updated_at=now, updated_by=call.principal.name,
        )
    )  # fmt: skip
    _apply(group)


def _named(call: Call, params: Params) -> tuple[Group, str]:
    """The group and policy name a call names (by name and group, or by the policy's ARN)."""
    name = params["PolicyName"]
    if params.get("AutoScalingGroupName"):
        group = _group(call, params["AutoScalingGroupName"])
    else:  # a policy ARN names its group
        group = _group(call, name.split(":autoScalingGroupName/", 1)[-1].split(":policyName/", 1)[0])
    if ":policyName/" in name:
        name = name.split(":policyName/", 1)[-1]
    return group, name


@operation(ASG, "DeletePolicy", Role.OPERATOR, target="PolicyName")
def delete_policy(call: Call, params: Params) -> Output:
    """Remove a simple scaling policy, or the group's target tracking policy (also the fleet
    file's, until one is put again)."""
    group, name = _named(call, params)
    simple = call.store.simple_policies.get(group.environment, group.service, name)
    tracking = policy(call, group)
    if simple is None and (tracking is None or tracking["PolicyName"] != name):
        raise validation(f"policy {name} of {group.name} does not exist")
    call.gate(group, f"DeletePolicy of {group.name}")
    if simple is not None:
        call.store.simple_policies.delete(group.environment, group.service, name)
    else:
        _delete_tracking(call, group, name, call.clock.now())
    return {}


@operation(ASG, "ExecutePolicy", Role.OPERATOR, target="PolicyName")
def execute_policy(call: Call, params: Params) -> Output:
    """Run a simple scaling policy now (``HonorCooldown``: not within the group's cooldown)."""
    group, name = _named(call, params)
    for member in ("MetricValue", "BreachThreshold"):
        if member in params:
            raise validation(
                f"{member} is only valid for a StepScaling policy; {name} is a SimpleScaling policy"
            )
    status = {s.name: s for s in group.runtime.services_status().services}
    try:
        simple_scaling.execute(
            call.store, group.runtime, group.service, name, honor_cooldown=params.get("HonorCooldown", False),
            trigger="a user request executed policy", desired=lambda service: status[service].desired,
        )  # fmt: skip
    except PolicyNotFound:
        tracking = policy(call, group)
        if tracking is not None and tracking["PolicyName"] == name:
            raise validation(
                f"{name} is a TargetTrackingScaling policy: ExecutePolicy runs SimpleScaling policies"
            ) from None
        raise validation(f"policy {name} of {group.name} does not exist") from None
    except InCooldown as err:
        raise AwsError("ScalingActivityInProgressFault", err.message) from None
    return {}
