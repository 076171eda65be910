"""One service on an EC2 Auto Scaling group: releases as launch template versions, rollouts as
instance refreshes, instances with their target health, capacity and scaling activities.

A release is a numbered launch template version made from the group's current version
(CreateLaunchTemplateVersion with ``SourceVersion``), carrying the release's image, user data
and instance tags (``fleetops:version``, ``fleetops:release``); its ``VersionDescription``
names the release, so the version of a release is found again after a crash instead of being
made twice. A refresh always names that version by number in ``DesiredConfiguration``: never
``$Latest`` or ``$Default``, from which AWS cannot roll back.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from fleetops.providers.aws.backend import AwsInstance, Capacity, Refresh
from fleetops.providers.aws.session import AwsClients, AwsError, aws_call
from fleetops.spec.models import AwsService, Instances

VERSION_TAG = "fleetops:version"
RELEASE_TAG = "fleetops:release"
SYMBOLIC = ("$Latest", "$Default")


def release_description(environment: str, service: str, number: int, version: str) -> str:
    """The ``VersionDescription`` naming a release's launch template version."""
    return f"fleetops {environment}/{service} release #{number} ({version})"


def refresh_of(data: Mapping[str, Any]) -> Refresh:
    """A ``InstanceRefreshes`` item as a :class:`Refresh`."""
    desired = data.get("DesiredConfiguration", {}).get("LaunchTemplate", {})
    return Refresh(
        id=str(data["InstanceRefreshId"]),
        status=str(data.get("Status", "Pending")),
        status_reason=str(data.get("StatusReason", "")),
        percentage_complete=int(data.get("PercentageComplete", 0)),
        instances_to_update=int(data.get("InstancesToUpdate", 0)),
        started_at=data.get("StartTime"),
        ended_at=data.get("EndTime"),
        target=None if desired.get("Version") is None else str(desired["Version"]),
    )


class AutoScalingService:
    """The Auto Scaling side of one service (``aws: {auto_scaling_group, launch_template_id,
    target_group_arn}``). Every method makes the AWS calls it names and returns plain values."""

    def __init__(
        self, clients: AwsClients, service: str, aws: AwsService, instances: Instances | None = None
    ) -> None:
        """``instances``: the fleet file's bounds, the group's MinSize..MaxSize outside a pause."""
        if aws.auto_scaling_group is None or aws.launch_template_id is None:
            raise ValueError(f"service {service!r} has no Auto Scaling group")
        self.clients = clients
        self.service = service
        self.aws = aws
        self.bounds = instances
        self.group_name: str = aws.auto_scaling_group
        self.template_id: str = aws.launch_template_id
        self._endpoint: str | None = None

    # -- the group and its template --------------------------------------------------------------

    def group(self) -> dict[str, Any]:
        """DescribeAutoScalingGroups of the group; AwsError ``NotFound`` when it does not exist."""
        found = aws_call(
            "autoscaling:DescribeAutoScalingGroups",
            self.group_name,
            self.clients.autoscaling.describe_auto_scaling_groups,
            AutoScalingGroupNames=[self.group_name],
        )["AutoScalingGroups"]
        if not found:
            raise AwsError(
                "autoscaling:DescribeAutoScalingGroups", self.group_name, "NotFound", "no such group"
            )
        return dict(found[0])

    def template_version(self, group: Mapping[str, Any] | None = None) -> int:
        """The number of the launch template version the group launches now (``$Default`` and
        ``$Latest`` resolved to their numbers)."""
        group = group if group is not None else self.group()
        spec = group.get("LaunchTemplate") or {}
        version = str(spec.get("Version", "$Default"))
        if version not in SYMBOLIC:
            return int(version)
        (template,) = aws_call(
            "ec2:DescribeLaunchTemplates",
            self.template_id,
            self.clients.ec2.describe_launch_templates,
            LaunchTemplateIds=[self.template_id],
        )["LaunchTemplates"]
        key = "LatestVersionNumber" if version == "$Latest" else "DefaultVersionNumber"
        return int(template[key])

    def versions(self) -> list[dict[str, Any]]:
        """Every version of the launch template (DescribeLaunchTemplateVersions, all pages)."""
        paginator = self.clients.ec2.get_paginator("describe_launch_template_versions")
        out: list[dict[str, Any]] = []
        pages = aws_call(
            "ec2:DescribeLaunchTemplateVersions",
            self.template_id,
            lambda: list(paginator.paginate(LaunchTemplateId=self.template_id)),
        )
        for page in pages:
            out.extend(page["LaunchTemplateVersions"])
        return out

    def version_labels(self) -> dict[int, str]:
        """Launch template version number -> the release version it carries (its tag)."""
        out: dict[int, str] = {}
        for item in self.versions():
            tags = instance_tags(item.get("LaunchTemplateData", {}))
            if VERSION_TAG in tags:
                out[int(item["VersionNumber"])] = tags[VERSION_TAG]
        return out

    def release_version(
        self,
        environment: str,
        number: int,
        version: str,
        *,
        source: int | None = None,
    ) -> int:
        """The launch template version of release ``number`` at ``version``: found by its
        description, else created from ``source`` (default the group's current version)."""
        description = release_description(environment, self.service, number, version)
        for item in self.versions():
            if item.get("VersionDescription") == description:
                return int(item["VersionNumber"])
        source = self.template_version() if source is None else source
        (base,) = aws_call(
            "ec2:DescribeLaunchTemplateVersions",
            f"{self.template_id} version {source}",
            self.clients.ec2.describe_launch_template_versions,
            LaunchTemplateId=self.template_id,
            Versions=[str(source)],
        )["LaunchTemplateVersions"]
        data = self._release_data(base.get("LaunchTemplateData", {}), environment, number, version)
        created = aws_call(
            "ec2:CreateLaunchTemplateVersion",
            self.template_id,
            self.clients.ec2.create_launch_template_version,
            LaunchTemplateId=self.template_id,
            SourceVersion=str(source),
            VersionDescription=description,
            LaunchTemplateData=data,
        )
        return int(created["LaunchTemplateVersion"]["VersionNumber"])

    def _release_data(
        self, base: Mapping[str, Any], environment: str, number: int, version: str
    ) -> dict[str, Any]:
        tags = {**instance_tags(base), VERSION_TAG: version, RELEASE_TAG: str(number)}
        specs = [s for s in base.get("TagSpecifications", []) if s.get("ResourceType") != "instance"]
        specs.append(
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        )
        data: dict[str, Any] = {"TagSpecifications": specs}
        image = self.aws.images.get(version)
        if image is not None:
            data["ImageId"] = image
        if self.aws.user_data is not None:
            text = (
                self.aws.user_data.replace("{version}", version)
                .replace("{service}", self.service)
                .replace("{environment}", environment)
            )
            data["UserData"] = base64.b64encode(text.encode()).decode()
        return data

    def set_template_version(self, number: int) -> None:
        """Make the group launch version ``number`` from now on (UpdateAutoScalingGroup)."""
        aws_call(
            "autoscaling:UpdateAutoScalingGroup",
            self.group_name,
            self.clients.autoscaling.update_auto_scaling_group,
            AutoScalingGroupName=self.group_name,
            LaunchTemplate={"LaunchTemplateId": self.template_id, "Version": str(number)},
        )

    # -- instance refresh ------------------------------------------------------------------------

    def start_refresh(self, number: int, preferences: Mapping[str, Any]) -> str:
        """StartInstanceRefresh to launch template version ``number``; its id. AwsError
        ``InstanceRefreshInProgress`` when one runs (see :meth:`running_refresh`)."""
        result = aws_call(
            "autoscaling:StartInstanceRefresh",
            self.group_name,
            self.clients.autoscaling.start_instance_refresh,
            AutoScalingGroupName=self.group_name,
            Strategy="Rolling",
            DesiredConfiguration={
                "LaunchTemplate": {"LaunchTemplateId": self.template_id, "Version": str(number)}
            },
            Preferences=dict(preferences),
        )
        return str(result["InstanceRefreshId"])

    def refreshes(self, ids: Sequence[str] = ()) -> list[Refresh]:
        """DescribeInstanceRefreshes of the group (the given ids, or the most recent), newest first."""
        params: dict[str, Any] = {"AutoScalingGroupName": self.group_name}
        if ids:
            params["InstanceRefreshIds"] = list(ids)
        found = aws_call(
            "autoscaling:DescribeInstanceRefreshes",
            self.group_name,
            self.clients.autoscaling.describe_instance_refreshes,
            **params,
        )["InstanceRefreshes"]
        return [refresh_of(item) for item in found]

    def refresh(self, refresh_id: str) -> Refresh:
        """One refresh; AwsError ``NotFound`` if AWS does not know it."""
        found = self.refreshes([refresh_id])
        if not found:
            raise AwsError(
                "autoscaling:DescribeInstanceRefreshes",
                self.group_name,
                "NotFound",
                f"no refresh {refresh_id}",
            )
        return found[0]

    def running_refresh(self) -> Refresh | None:
        """The refresh not yet ended, if any (a group runs at most one)."""
        for refresh in self.refreshes():
            if refresh.status in ("Pending", "InProgress", "Baking", "Cancelling", "RollbackInProgress"):
                return refresh
        return None

    def cancel_refresh(self) -> None:
        """CancelInstanceRefresh; nothing when none runs (``ActiveInstanceRefreshNotFound``)."""
        try:
            aws_call(
                "autoscaling:CancelInstanceRefresh",
                self.group_name,
                self.clients.autoscaling.cancel_instance_refresh,
                AutoScalingGroupName=self.group_name,
            )
        except AwsError as err:
            if err.code != "ActiveInstanceRefreshNotFound":
                raise

    def rollback_refresh(self) -> None:
        """RollbackInstanceRefresh: AWS replaces the instances already updated with the previous
        configuration."""
        aws_call(
            "autoscaling:RollbackInstanceRefresh",
            self.group_name,
            self.clients.autoscaling.rollback_instance_refresh,
            AutoScalingGroupName=self.group_name,
        )

    # -- instances and health --------------------------------------------------------------------

    def instances(self, group: Mapping[str, Any] | None = None) -> list[AwsInstance]:
        """The group's instances, with their version (instance tag) and target health."""
        group = group if group is not None else self.group()
        members = group.get("Instances", [])
        if not members:
            return []
        ids = [m["InstanceId"] for m in members]
        details: dict[str, dict[str, Any]] = {}
        reservations = aws_call(
            "ec2:DescribeInstances",
            self.group_name,
            self.clients.ec2.describe_instances,
            InstanceIds=ids,
        )["Reservations"]
        for reservation in reservations:
            for item in reservation["Instances"]:
                details[item["InstanceId"]] = item
        health = self.target_health(ids)
        out = []
        for member in members:
            item = details.get(member["InstanceId"], {})
            tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            state, reason = health.get(member["InstanceId"], ("unused", "Target.NotRegistered"))
            out.append(
                AwsInstance(
                    id=member["InstanceId"],
                    version=tags.get(VERSION_TAG, ""),
                    state=str(member.get("LifecycleState", "Pending")),
                    health=state,
                    health_reason=reason,
                    address=str(item.get("PrivateIpAddress", "")),
                    launched_at=item.get("LaunchTime"),
                )
            )
        return out

    def target_health(self, ids: Sequence[str] = ()) -> dict[str, tuple[str, str]]:
        """Instance id -> (state, ``Reason: Description``) from DescribeTargetHealth."""
        if self.aws.target_group_arn is None:
            return {}
        params: dict[str, Any] = {"TargetGroupArn": self.aws.target_group_arn}
        if ids:
            params["Targets"] = [{"Id": i} for i in ids]
        found = aws_call(
            "elasticloadbalancing:DescribeTargetHealth",
            self.aws.target_group_arn,
            self.clients.elbv2.describe_target_health,
            **params,
        )["TargetHealthDescriptions"]
        out = {}
        for item in found:
            health = item.get("TargetHealth", {})
            reason = ": ".join(x for x in (health.get("Reason", ""), health.get("Description", "")) if x)
            out[item["Target"]["Id"]] = (str(health.get("State", "unused")), reason)
        return out

    # -- capacity --------------------------------------------------------------------------------

    def set_desired(self, desired: int) -> None:
        """SetDesiredCapacity (honouring the group's cooldown is AWS's business: HonorCooldown
        false). A count outside the group's MinSize..MaxSize (a restore's pause to 0) is set with
        UpdateAutoScalingGroup, the bounds widened to take it; once inside the fleet file's
        bounds again, they are the file's again."""
        if self.bounds is not None:
            group = self.group()
            wanted = (min(self.bounds.min, desired), max(self.bounds.max, desired))
            if (int(group.get("MinSize", 0)), int(group.get("MaxSize", 0))) != wanted:
                aws_call(
                    "autoscaling:UpdateAutoScalingGroup",
                    self.group_name,
                    self.clients.autoscaling.update_auto_scaling_group,
                    AutoScalingGroupName=self.group_name,
                    MinSize=wanted[0],
                    MaxSize=wanted[1],
                    DesiredCapacity=desired,
                )
                return
        aws_call(
            "autoscaling:SetDesiredCapacity",
            self.group_name,
            self.clients.autoscaling.set_desired_capacity,
            AutoScalingGroupName=self.group_name,
            DesiredCapacity=desired,
            HonorCooldown=False,
        )

    def set_bounds(self, minimum: int, maximum: int) -> None:
        """UpdateAutoScalingGroup MinSize and MaxSize."""
        aws_call(
            "autoscaling:UpdateAutoScalingGroup",
            self.group_name,
            self.clients.autoscaling.update_auto_scaling_group,
            AutoScalingGroupName=self.group_name,
            MinSize=minimum,
            MaxSize=maximum,
        )

    def put_target_tracking(self, target_cpu: float, *, disable_scale_in: bool, warmup_s: int | None) -> None:
        """PutScalingPolicy ``fleetops-target-cpu``: target tracking on ASGAverageCPUUtilization."""
        params: dict[str, Any] = {
            "AutoScalingGroupName": self.group_name,
            "PolicyName": "fleetops-target-cpu",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                "TargetValue": float(target_cpu),
                "DisableScaleIn": disable_scale_in,
            },
        }
        if warmup_s is not None:
            params["EstimatedInstanceWarmup"] = warmup_s
        aws_call(
            "autoscaling:PutScalingPolicy",
            self.group_name,
            self.clients.autoscaling.put_scaling_policy,
            **params,
        )

    def activities(self, limit: int = 50) -> list[dict[str, Any]]:
        """DescribeScalingActivities of the group, newest first."""
        return list(
            aws_call(
                "autoscaling:DescribeScalingActivities",
                self.group_name,
                self.clients.autoscaling.describe_scaling_activities,
                AutoScalingGroupName=self.group_name,
                MaxRecords=min(limit, 100),
            )["Activities"]
        )

    # -- the ServiceBackend protocol (fleetops.providers.aws.backend) ------------------------------

    def release_target(self, environment: str, number: int, version: str) -> str:
        """The launch template version number of the release, as text."""
        return str(self.release_version(environment, number, version))

    def current_label(self) -> str | None:
        """The ``fleetops:version`` tag of the group's current launch template version."""
        return self.version_labels().get(self.template_version())

    def record_current(self, environment: str, number: int, version: str) -> str:
        """A version described as release ``number``, copied from the group's current one."""
        return str(self.release_version(environment, number, version))

    def start(self, target: str, preferences: Mapping[str, Any]) -> str:
        """StartInstanceRefresh toward launch template version ``target``."""
        return self.start_refresh(int(target), preferences)

    def describe(self, refresh_id: str) -> Refresh:
        """DescribeInstanceRefreshes of one refresh."""
        return self.refresh(refresh_id)

    def recent(self) -> Sequence[Refresh]:
        """The group's recent refreshes, newest first."""
        return self.refreshes()

    def cancel(self, refresh_id: str) -> None:
        """CancelInstanceRefresh (a group runs one refresh at a time)."""
        self.cancel_refresh()

    def rollback(self, refresh_id: str) -> None:
        """RollbackInstanceRefresh (a group runs one refresh at a time)."""
        self.rollback_refresh()

    def finalize(self, target: str) -> None:
        """Set the group's launch template to version ``target``, so scale-outs launch it."""
        self.set_template_version(int(target))

    def capacity(self) -> Capacity:
        """The group's desired, min, max and instances."""
        group = self.group()
        return Capacity(
            desired=int(group.get("DesiredCapacity", 0)),
            minimum=int(group.get("MinSize", 0)),
            maximum=int(group.get("MaxSize", 0)),
            instances=tuple(self.instances(group)),
        )

    def endpoint(self) -> str:
        """``http://`` and the DNS name of the target group's load balancer."""
        arn = self.aws.target_group_arn
        if arn is None:
            return "(no target group)"
        if self._endpoint is None:
            (group,) = aws_call(
                "elasticloadbalancing:DescribeTargetGroups",
                arn,
                self.clients.elbv2.describe_target_groups,
                TargetGroupArns=[arn],
            )["TargetGroups"]
            balancers = group.get("LoadBalancerArns", [])
            if not balancers:
                return f"(target group {arn} is behind no load balancer)"
            (balancer,) = aws_call(
                "elasticloadbalancing:DescribeLoadBalancers",
                balancers[0],
                self.clients.elbv2.describe_load_balancers,
                LoadBalancerArns=[balancers[0]],
            )["LoadBalancers"]
            self._endpoint = f"http://{balancer['DNSName']}"
        return self._endpoint


def instance_tags(data: Mapping[str, Any]) -> dict[str, str]:
    """The instance tags of a ``LaunchTemplateData``."""
    out: dict[str, str] = {}
    for spec in data.get("TagSpecifications", []):
        if spec.get("ResourceType") == "instance":
            out.update({t["Key"]: t["Value"] for t in spec.get("Tags", [])})
    return out


def in_progress(err: AwsError) -> bool:
    """Whether a StartInstanceRefresh failed because a refresh already runs."""
    return err.code == "InstanceRefreshInProgress"
