"""EC2 over the local fleet: each service's launch template (its versions are the service's
releases, ``templates``) and its instances (the processes, with their group's tags).

``CreateLaunchTemplateVersion`` pins a new release of the service at the version its
``LaunchTemplateData.ImageId`` names (or its ``SourceVersion``'s): nothing runs it until an
instance refresh deploys it. ``ModifyLaunchTemplate --default-version`` sets ``$Default``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from fleetops.ops.releases import pin_releases
from fleetops.server.aws import pages, templates
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import ACCOUNT, Group, find
from fleetops.server.roles import Role
from fleetops.store.releases import Release

EC2 = "ec2"
_STATES = {
    "Pending": (0, "pending"),
    "InService": (16, "running"),
    "Draining": (64, "stopping"),
    "Terminating": (32, "shutting-down"),
    "Terminated": (48, "terminated"),
}


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message)


def _template_group(call: Call, params: Params) -> Group:
    template_id, name = params.get("LaunchTemplateId"), params.get("LaunchTemplateName")
    if template_id is None and name is None:
        raise AwsError(
            "MissingParameter",
            "The request must contain the parameter LaunchTemplateId or LaunchTemplateName",
        )
    for group in call.groups():
        if template_id in (None, group.launch_template_id) and name in (None, group.launch_template_name):
            return _unique(call, group, "launch_template_id")
    if template_id is not None:
        raise AwsError(
            "InvalidLaunchTemplateId.NotFound",
            f"The specified launch template, with template ID {template_id}, does not exist.",
        )
    raise AwsError(
        "InvalidLaunchTemplateName.NotFoundException",
        f"The specified launch template, with template name {name}, does not exist.",
    )


def _unique(call: Call, group: Group, by: str) -> Group:
    return find(call.environments, call.region, getattr(group, by), by=by)


def _tags(group: Group) -> list[dict[str, str]]:
    return [
        {"Key": "Name", "Value": group.name},
        {"Key": "Environment", "Value": group.environment},
        {"Key": "Service", "Value": group.service},
        {"Key": "aws:autoscaling:groupName", "Value": group.name},
        {"Key": "fleetops:fleet", "Value": group.runtime.fleet.name},
    ]


def _version(call: Call, group: Group, release: Release) -> dict[str, Any]:
    memory = templates.pointers(call.state)
    return {
        "LaunchTemplateId": group.launch_template_id,
        "LaunchTemplateName": group.launch_template_name,
        "VersionNumber": release.number,
        "VersionDescription": memory.description(group, release.number)
        or f"release {release.service}#{release.number} ({release.status})",
        "CreateTime": release.created_at,
        "CreatedBy": f"arn:aws:iam::{ACCOUNT}:user/{release.created_by}",
        "DefaultVersion": release.number == memory.default_version(call.store, group),
        "LaunchTemplateData": {"ImageId": release.version},
    }


def _template(call: Call, group: Group) -> dict[str, Any]:
    known = templates.releases(call.store, group)
    return {
        "LaunchTemplateId": group.launch_template_id,
        "LaunchTemplateName": group.launch_template_name,
        "CreateTime": known[0].created_at if known else None,
        "CreatedBy": f"arn:aws:iam::{ACCOUNT}:user/{known[0].created_by}" if known else None,
        "DefaultVersionNumber": templates.pointers(call.state).default_version(call.store, group),
        "LatestVersionNumber": known[-1].number if known else 0,
        "Tags": _tags(group),
    }


@operation(EC2, "CreateLaunchTemplateVersion", Role.OPERATOR, target="LaunchTemplateId")
def create_launch_template_version(call: Call, params: Params) -> Output:
    """A new release of the service at ``LaunchTemplateData.ImageId`` (default: the source
    version's): pinned, not deployed."""
    group = _template_group(call, params)
    data = params["LaunchTemplateData"]
    others = sorted(set(data) - {"ImageId"})
    if others:
        raise _invalid(
            f"LaunchTemplateData.{others[0]} has no local meaning: a local launch template version holds "
            "ImageId only (the version of the service to run, e.g. v2)"
        )
    memory = templates.pointers(call.state)
    version = data.get("ImageId")
    if version is None:
        source = params.get("SourceVersion")
        if source is None:
            raise AwsError(
                "MissingParameter",
                "LaunchTemplateData.ImageId names the version of the service to run (e.g. v2): give it, "
                "or --source-version to copy one",
            )
        version = templates.resolve(call.store, group, source, memory).version
    (release,) = pin_releases(
        call.store,
        group.runtime.fleet,
        environment=group.environment,
        versions={group.service: version},
        execution_id=f"aws-ec2-{call.request_id}",
        created_by=call.principal.name,
    )
    if "VersionDescription" in params:
        memory.set_description(group, release.number, params["VersionDescription"])
    return {"LaunchTemplateVersion": _version(call, group, release)}


@operation(EC2, "DescribeLaunchTemplates")
def describe_launch_templates(call: Call, params: Params) -> Output:
    """The launch templates named (all when none is)."""
    ids, names = params.get("LaunchTemplateIds") or [], params.get("LaunchTemplateNames") or []
    chosen = [
        group
        for group in call.groups()
        if (not ids or group.launch_template_id in ids) and (not names or group.launch_template_name in names)
    ]
    found_ids = {group.launch_template_id for group in chosen}
    missing = [template_id for template_id in ids if template_id not in found_ids]
    if missing:
        raise AwsError(
            "InvalidLaunchTemplateId.NotFound",
            f"At least one of the launch templates specified in the request does not exist: {missing[0]}",
        )
    chosen = [group for group in chosen if _matches(_tags(group), params.get("Filters") or [], {})]
    page, token = pages.page(chosen, params, default=100, limit=200, size_key="MaxResults")
    return {"LaunchTemplates": [_template(call, group) for group in page], "NextToken": token}


@operation(EC2, "DescribeLaunchTemplateVersions")
def describe_launch_template_versions(call: Call, params: Params) -> Output:
    """Versions of one launch template (``Versions``, ``MinVersion``, ``MaxVersion``), newest first."""
    group = _template_group(call, params)
    memory = templates.pointers(call.state)
    known = templates.releases(call.store, group)
    wanted = params.get("Versions")
    if wanted:
        chosen = {templates.resolve(call.store, group, version, memory).number for version in wanted}
        releases = [release for release in known if release.number in chosen]
    else:
        low = int(params.get("MinVersion", "0") or 0)
        high = int(params.get("MaxVersion", str(1 << 62)) or 1 << 62)
        releases = [release for release in known if low <= release.number <= high]
    releases.sort(key=lambda release: release.number, reverse=True)
    page, token = pages.page(releases, params, default=100, limit=200, size_key="MaxResults")
    return {
        "LaunchTemplateVersions": [_version(call, group, release) for release in page],
        "NextToken": token,
    }


@operation(EC2, "ModifyLaunchTemplate", Role.OPERATOR, target="LaunchTemplateId")
def modify_launch_template(call: Call, params: Params) -> Output:
    """Set the template's default version (``$Default``)."""
    group = _template_group(call, params)
    memory = templates.pointers(call.state)
    if "DefaultVersion" in params:
        release = templates.resolve(call.store, group, params["DefaultVersion"], memory)
        memory.set_default(group, release.number)
    return {"LaunchTemplate": _template(call, group)}


@operation(EC2, "DescribeInstances")
def describe_instances(call: Call, params: Params) -> Output:
    """Each group's processes as one reservation, filtered by tags, state and id."""
    ids = set(params.get("InstanceIds") or [])
    filters = params.get("Filters") or []
    reservations = []
    seen: set[str] = set()
    for group in call.groups():
        instances = [
            instance
            for instance in _instances(group)
            if (not ids or instance["InstanceId"] in ids)
            and _matches(instance["Tags"], filters, _attributes(instance))
        ]
        seen |= {instance["InstanceId"] for instance in instances}
        if instances:
            reservations.append(
                {
                    "ReservationId": "r-" + hashlib.sha256(group.arn.encode()).hexdigest()[:17],
                    "OwnerId": ACCOUNT,
                    "Groups": [],
                    "Instances": instances,
                }
            )
    unknown = sorted(ids - seen)
    if unknown:
        raise AwsError("InvalidInstanceID.NotFound", f"The instance ID '{unknown[0]}' does not exist")
    page, token = pages.page(reservations, params, default=1000, limit=1000, size_key="MaxResults")
    return {"Reservations": page, "NextToken": token}


def _instances(group: Group) -> Iterator[dict[str, Any]]:
    for service in group.runtime.services_status().services:
        if service.name != group.service:
            continue
        for instance in service.instances:
            code, name = _STATES.get(instance.state, (16, "running"))
            yield {
                "InstanceId": instance.id,
                "ImageId": instance.version,
                "State": {"Code": code, "Name": name},
                "PrivateDnsName": "localhost",
                "PrivateIpAddress": "127.0.0.1",
                "InstanceType": "local.process",
                "LaunchTime": instance.started_at,
                "Placement": {"AvailabilityZone": f"{group.region}a"},
                "Tags": _tags(group),
            }


def _attributes(instance: dict[str, Any]) -> dict[str, str]:
    return {
        "instance-id": instance["InstanceId"],
        "instance-state-name": instance["State"]["Name"],
        "image-id": instance["ImageId"],
    }


def _matches(tags: list[dict[str, str]], filters: list[dict[str, Any]], attributes: dict[str, str]) -> bool:
    by_key = {tag["Key"]: tag["Value"] for tag in tags}
    for item in filters:
        name, values = item.get("Name", ""), item.get("Values") or []
        if name.startswith("tag:"):
            ok = by_key.get(name[4:]) in values
        elif name == "tag-key":
            ok = any(key in by_key for key in values)
        elif name == "tag-value":
            ok = any(value in by_key.values() for value in values)
        elif name in attributes:
            ok = attributes[name] in values
        elif name == "launch-template-name":
            ok = by_key.get("Name") in values
        else:
            known = ", ".join(["tag:<key>", "tag-key", "tag-value", *attributes])
            raise _invalid(f"The filter '{name}' is invalid (filters served here: {known})")
        if not ok:
            return False
    return True
