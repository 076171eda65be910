"""EC2 Auto Scaling over the local fleet: each service of a running environment is a group.

Every change acts through the fleet runtime, as ``fleetops scale`` and ``fleetops rollout`` do:
``SetDesiredCapacity`` starts or drains processes; ``StartInstanceRefresh`` is a rollout (the
same instance refresh code a deployment runs: health gate, warmup, checkpoints, bake, alarms)
to a launch template version, i.e. a release (``templates``); ``Cancel``/``Rollback
InstanceRefresh`` stop it. Changes pass the gates a deployment passes (maintenance, blocked
services, the environment's deployment lock); a cancel or a rollback, which stop a change, do not.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from fleetops.control.rollout_state import preferences_from_json
from fleetops.rollout import RefreshPreferences
from fleetops.runbooks.ports import RolloutRequest, RolloutView, ServiceStatus
from fleetops.server.aws import pages, templates
from fleetops.server.aws.errors import AwsError, validation
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import Group
from fleetops.server.roles import Role
from fleetops.store.fleet_state import CANCELLABLE

ASG = "autoscaling"
_LIFECYCLE = {"Draining": "Terminating:Wait", "Terminating": "Terminating:Proceed"}


def _not_found(name: str) -> AwsError:
    return validation(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")


def _group(call: Call, params: Params) -> Group:
    name = params["AutoScalingGroupName"]
    return call.group(name, not_found=_not_found(name))


def _status(group: Group) -> ServiceStatus:
    for service in group.runtime.services_status().services:
        if service.name == group.service:
            return service
    raise _not_found(group.name)


def _version_numbers(call: Call, group: Group) -> dict[str, int]:
    """Version -> its newest release number (what an instance at that version launched from)."""
    return {release.version: release.number for release in templates.releases(call.store, group)}


def _describe_group(call: Call, group: Group, status: ServiceStatus) -> dict[str, Any]:
    numbers = _version_numbers(call, group)
    template = {
        "LaunchTemplateId": group.launch_template_id,
        "LaunchTemplateName": group.launch_template_name,
    }
    zone = f"{group.region}a"
    instances = [
        {
            "InstanceId": instance.id,
            "InstanceType": "local.process",
            "AvailabilityZone": zone,
            "LifecycleState": _LIFECYCLE.get(instance.state, instance.state),
            "HealthStatus": "Unhealthy" if instance.health == "unhealthy" else "Healthy",
            "LaunchTemplate": {**template, "Version": str(numbers.get(instance.version, 0))},
            "ImageId": instance.version,
            "ProtectedFromScaleIn": False,
        }
        for instance in status.instances
        if instance.state != "Terminated"
    ]
    started = [instance.started_at for instance in status.instances]
    memory = templates.pointers(call.state)
    return {
        "AutoScalingGroupName": group.name,
        "AutoScalingGroupARN": group.arn,
        "LaunchTemplate": {**template, "Version": memory.group_version(call.store, group)},
        "MinSize": status.min,
        "MaxSize": status.max,
        "DesiredCapacity": status.desired,
        "DefaultCooldown": 300,
        "AvailabilityZones": [zone],
        "TargetGroupARNs": [group.target_group_arn],
        "HealthCheckType": "ELB",
        "HealthCheckGracePeriod": 0,
        "Instances": instances,
        "CreatedTime": min(started) if started else call.clock.now(),
        "Tags": [
            {
                "ResourceId": group.name,
                "ResourceType": "auto-scaling-group",
                "Key": key,
                "Value": value,
                "PropagateAtLaunch": True,
            }
            for key, value in _tags(group).items()
        ],
        "TerminationPolicies": ["Default"],
        "NewInstancesProtectedFromScaleIn": False,
    }


def _tags(group: Group) -> dict[str, str]:
    return {
        "Name": group.name,
        "Environment": group.environment,
        "Service": group.service,
        "fleetops:fleet": group.runtime.fleet.name,
    }


def _matches(group: Group, filters: list[dict[str, Any]]) -> bool:
    tags = _tags(group)
    for item in filters:
        name, values = item.get("Name", ""), item.get("Values", [])
        if name.startswith("tag:"):
            ok = tags.get(name[4:]) in values
        elif name == "tag-key":
            ok = any(key in tags for key in values)
        elif name == "tag-value":
            ok = any(value in tags.values() for value in values)
        else:
            raise validation(f"Filter name {name!r} is not valid: use tag:<key>, tag-key or tag-value")
        if not ok:
            return False
    return True


@operation(ASG, "DescribeAutoScalingGroups")
def describe_auto_scaling_groups(call: Call, params: Params) -> Output:
    """The groups named (all when none is), with their instances, filtered by tags."""
    names = params.get("AutoScalingGroupNames") or []
    chosen = [call.group(name) for name in names if _exists(call, name)] if names else list(call.groups())
    chosen = [group for group in chosen if _matches(group, params.get("Filters") or [])]
    page, token = pages.page(chosen, params, default=50, limit=100)
    statuses: dict[str, dict[str, ServiceStatus]] = {}
    out = []
    for group in page:
        if group.environment not in statuses:
            statuses[group.environment] = {s.name: s for s in group.runtime.services_status().services}
        status = statuses[group.environment].get(group.service)
        if status is not None:
            out.append(_describe_group(call, group, status))
    return {"AutoScalingGroups": out, "NextToken": token}


def _exists(call: Call, name: str) -> bool:
    # Unknown names are left out of a describe, as AWS does.
    return any(group.name == name for group in call.groups())


@operation(ASG, "SetDesiredCapacity", Role.OPERATOR, target="AutoScalingGroupName")
def set_desired_capacity(call: Call, params: Params) -> Output:
    """Start or drain processes until the service has the desired count."""
    group = _group(call, params)
    _scale(call, group, params["DesiredCapacity"], "SetDesiredCapacity")
    return {}


def _scale(call: Call, group: Group, desired: int, action: str) -> None:
    status = _status(group)
    if desired > status.max:
        raise validation(
            f"New SetDesiredCapacity value {desired} is above max value {status.max} "
            "for the AutoScalingGroup."
        )
    if desired < status.min:
        raise validation(
            f"New SetDesiredCapacity value {desired} is below min value {status.min} "
            "for the AutoScalingGroup."
        )
    call.gate(group, f"{action} of {group.name}")
    if status.rollout is not None:
        raise AwsError(
            "ScalingActivityInProgressFault",
            f"Scaling activity is in progress: instance refresh {status.rollout} of {group.name} is running; "
            "scale it afterwards",
        )
    group.runtime.scale(group.service, desired)


_UPDATABLE = {"AutoScalingGroupName", "LaunchTemplate", "MinSize", "MaxSize", "DesiredCapacity"}


@operation(ASG, "UpdateAutoScalingGroup", Role.OPERATOR, target="AutoScalingGroupName")
def update_auto_scaling_group(call: Call, params: Params) -> Output:
    """The launch template version the next instance refresh deploys, and the desired count.
    MinSize and MaxSize are the fleet file's ``instances`` (only their current values are
    accepted); other settings have no local meaning and are refused."""
    group = _group(call, params)
    others = sorted(set(params) - _UPDATABLE)
    if others:
        raise validation(
            f"fleetops cannot change {', '.join(others)} of a local group (it changes LaunchTemplate, "
            "DesiredCapacity; MinSize and MaxSize are the fleet file's instances)"
        )
    status = _status(group)
    for key, current, where in (("MinSize", status.min, "min"), ("MaxSize", status.max, "max")):
        if key in params and params[key] != current:
            raise validation(
                f"{key} of {group.name} is {current}, from the fleet file "
                f"(services.{group.service}.instances.{where}): change it there"
            )
    template = params.get("LaunchTemplate")
    version = None
    if template is not None:
        _check_template(group, template)
        version = template.get("Version") or templates.DEFAULT
        templates.resolve(call.store, group, version, templates.pointers(call.state), code="ValidationError")
    call.gate(group, f"UpdateAutoScalingGroup of {group.name}")
    if "DesiredCapacity" in params:
        _scale(call, group, params["DesiredCapacity"], "UpdateAutoScalingGroup")
    if version is not None:
        templates.pointers(call.state).set_group_version(group, version)
    return {}


def _check_template(group: Group, template: dict[str, Any]) -> None:
    given_id, given_name = template.get("LaunchTemplateId"), template.get("LaunchTemplateName")
    if given_id is None and given_name is None:
        raise validation("LaunchTemplate needs LaunchTemplateId or LaunchTemplateName")
    if given_id not in (None, group.launch_template_id) or given_name not in (
        None,
        group.launch_template_name,
    ):
        raise validation(
            f"group {group.name} launches template {group.launch_template_id} ({group.launch_template_name}) "
            f"only, not {given_id or given_name}"
        )


@operation(ASG, "StartInstanceRefresh", Role.OPERATOR, target="AutoScalingGroupName")
def start_instance_refresh(call: Call, params: Params) -> Output:
    """A rollout of the service to the desired configuration's launch template version (default:
    the group's own), with the preferences given (default: the fleet file's deploy settings)."""
    group = _group(call, params)
    if params.get("Strategy", "Rolling") != "Rolling":
        raise validation(f"Strategy {params['Strategy']!r} is not supported here: use Rolling")
    desired = params.get("DesiredConfiguration") or {}
    if "MixedInstancesPolicy" in desired:
        raise validation(
            "DesiredConfiguration.MixedInstancesPolicy has no local meaning: give LaunchTemplate"
        )
    template = desired.get("LaunchTemplate")
    version = None
    if template is not None:
        _check_template(group, template)
        version = template.get("Version") or templates.DEFAULT
    memory = templates.pointers(call.state)
    release = templates.resolve(call.store, group, version, memory, code="ValidationError")
    preferences = RefreshPreferences.from_aws(params["Preferences"]) if "Preferences" in params else None
    call.gate(group, f"StartInstanceRefresh of {group.name}")
    running = _unfinished(call, group)
    if running is not None:
        raise AwsError(
            "InstanceRefreshInProgressFault",
            f"An Instance Refresh is already in progress and blocks the execution of this Instance Refresh "
            f"({running} of {group.name}).",
        )
    refresh_id = str(uuid.uuid4())
    group.runtime.start_rollout(
        RolloutRequest(
            rollout_id=refresh_id,
            environment=group.environment,
            service=group.service,
            version=release.version,
            release_number=release.number,
            preferences=preferences,
        )
    )
    if version is not None:
        memory.set_group_version(group, version)
    return {"InstanceRefreshId": refresh_id}


def _unfinished(call: Call, group: Group) -> str | None:
    rows = call.store.rollouts.list(group.environment, unfinished=True, limit=1000)
    return next((row.rollout_id for row in rows if row.service == group.service), None)


def _active(call: Call, group: Group) -> str:
    running = _unfinished(call, group)
    if running is None:
        raise AwsError(
            "ActiveInstanceRefreshNotFoundFault",
            f"No in progress or pending Instance Refresh found for Auto Scaling group {group.name}",
        )
    return running


@operation(ASG, "CancelInstanceRefresh", Role.OPERATOR, target="AutoScalingGroupName")
def cancel_instance_refresh(call: Call, params: Params) -> Output:
    """Stop the group's running rollout: instances replaced so far stay."""
    group = _group(call, params)
    refresh_id = _active(call, group)
    view = group.runtime.describe_rollout(refresh_id)
    if view.status not in CANCELLABLE:
        raise AwsError(
            "ActiveInstanceRefreshNotFoundFault",
            f"Instance refresh {refresh_id} of {group.name} is {view.status}; it cannot be cancelled",
        )
    group.runtime.cancel_rollout(refresh_id)
    return {"InstanceRefreshId": refresh_id}


@operation(ASG, "RollbackInstanceRefresh", Role.OPERATOR, target="AutoScalingGroupName")
def rollback_instance_refresh(call: Call, params: Params) -> Output:
    """Stop the group's running rollout and return the instances it replaced to the version the
    group ran before it."""
    group = _group(call, params)
    refresh_id = _active(call, group)
    try:
        group.runtime.rollback_rollout(refresh_id)
    except KeyError:
        raise AwsError(
            "ActiveInstanceRefreshNotFoundFault",
            f"Instance refresh {refresh_id} of {group.name} is not running on this control plane",
        ) from None
    return {"InstanceRefreshId": refresh_id}


@operation(ASG, "DescribeInstanceRefreshes")
def describe_instance_refreshes(call: Call, params: Params) -> Output:
    """The group's rollouts, newest first (also those of deployments)."""
    group = _group(call, params)
    wanted = set(params.get("InstanceRefreshIds") or [])
    rows = [
        row
        for row in call.store.rollouts.list(group.environment, limit=1000)
        if row.service == group.service and (not wanted or row.rollout_id in wanted)
    ]
    page, token = pages.page(rows, params, default=50, limit=100)
    out = []
    for row in page:
        try:
            view = group.runtime.describe_rollout(row.rollout_id)
        except KeyError:
            continue
        out.append(_refresh(group, view, row.preferences))
    return {"InstanceRefreshes": out, "NextToken": token}


def _refresh(group: Group, view: RolloutView, preferences: dict[str, Any] | None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "InstanceRefreshId": view.rollout_id,
        "AutoScalingGroupName": group.name,
        "Status": view.status,
        "StatusReason": view.status_reason or view.failure or "",
        "StartTime": view.started_at,
        "EndTime": view.ended_at,
        "PercentageComplete": view.percentage_complete,
        "InstancesToUpdate": view.instances_to_update,
        "DesiredConfiguration": {
            "LaunchTemplate": {
                "LaunchTemplateId": group.launch_template_id,
                "LaunchTemplateName": group.launch_template_name,
                "Version": str(view.release_number),
            }
        },
        "Strategy": "Rolling",
    }
    if preferences:
        shown["Preferences"] = preferences_from_json(preferences).to_aws()
    return shown


@operation(ASG, "DescribeScalingActivities")
def describe_scaling_activities(call: Call, params: Params) -> Output:
    """Changes of desired counts (autoscaling's and operators'), newest first."""
    name = params.get("AutoScalingGroupName")
    chosen = [_group(call, params)] if name else list(call.groups())
    activities = list(_activities(chosen))
    wanted = set(params.get("ActivityIds") or [])
    if wanted:
        activities = [activity for activity in activities if activity["ActivityId"] in wanted]
    page, token = pages.page(activities, params, default=100, limit=100)
    return {"Activities": page, "NextToken": token}


def _activities(groups: list[Group]) -> Iterator[dict[str, Any]]:
    for group in groups:
        for activity in group.runtime.scaling_activities(group.service):
            verb = "Launching" if activity.after > activity.before else "Terminating"
            count = abs(activity.after - activity.before)
            yield {
                "ActivityId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{group.arn}/{activity.at.isoformat()}")),
                "AutoScalingGroupName": group.name,
                "AutoScalingGroupARN": group.arn,
                "Description": f"{verb} {count} instance{'s' if count != 1 else ''}",
                "Cause": (
                    f"At {activity.at.strftime('%Y-%m-%dT%H:%M:%SZ')} the desired capacity changed from "
                    f"{activity.before} to {activity.after}: {activity.cause}."
                ),
                "StartTime": activity.at,
                "EndTime": activity.at,
                "StatusCode": "Successful",
                "Progress": 100,
            }
