"""One service on ECS: releases as task definition revisions, rollouts as service deployments.

A release is a new revision of the service's task definition family (RegisterTaskDefinition from
the revision the service runs, with the release's image on its first container: ``aws.images``
of the version, else the current image with the version as its tag, and ``VERSION`` in that
container's environment), tagged ``fleetops:version`` and ``fleetops:release``, so the revision
of a release is found again instead of registered twice. A rollout is UpdateService to that
revision with the deployment configuration of the service's ``deploy`` (minimumHealthyPercent,
maximumPercent, the deployment circuit breaker with rollback = AutoRollback, its alarms), followed
through DescribeServices' deployments and their ``rolloutState``. A cancel or rollback is
UpdateService back to the revision the deployment replaced. Capacity: UpdateService desiredCount,
kept inside the bounds of the service's scalable target when it has one
(``app_autoscaling.ScalableTarget``: ``scaling:`` in the fleet file).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from fleetops.errors import Refused
from fleetops.providers.aws.app_autoscaling import ScalableTarget
from fleetops.providers.aws.backend import AwsInstance, Capacity, Refresh
from fleetops.providers.aws.session import AwsClients, AwsError, aws_call
from fleetops.spec.models import AwsService, Instances, Scaling

VERSION_TAG = "fleetops:version"
RELEASE_TAG = "fleetops:release"
REGISTER_KEYS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "ephemeralStorage",
    "runtimePlatform",
)
_ROLLOUT = {"IN_PROGRESS": "InProgress", "COMPLETED": "Successful", "FAILED": "Failed"}
_TASK_STATE = {
    "PROVISIONING": "Pending",
    "PENDING": "Pending",
    "ACTIVATING": "Pending",
    "RUNNING": "InService",
    "DEACTIVATING": "Terminating",
    "STOPPING": "Terminating",
    "DEPROVISIONING": "Terminating",
    "STOPPED": "Terminated",
}


def retag(image: str, version: str) -> str:
    """``repo/name:old`` -> ``repo/name:version`` (a digest or a tagless image gets the tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return f"{name}:{version}"


class EcsService:
    """The ECS side of one service (``aws: {ecs_cluster, ecs_service}``)."""

    def __init__(
        self,
        clients: AwsClients,
        service: str,
        aws: AwsService,
        instances: Instances,
        scaling: Scaling | None = None,
    ) -> None:
        if aws.ecs_cluster is None or aws.ecs_service is None:
            raise ValueError(f"service {service!r} is not an ECS service")
        self.clients = clients
        self.service = service
        self.aws = aws
        self.bounds = instances
        self.scaling = scaling
        self.cluster: str = aws.ecs_cluster
        self.name: str = aws.ecs_service
        self.target = ScalableTarget(clients, aws.ecs_cluster, aws.ecs_service)
        self._labels: dict[str, dict[str, str]] = {}

    # -- reading ---------------------------------------------------------------------------------

    def describe_service(self) -> dict[str, Any]:
        """DescribeServices of the service; AwsError ``NotFound`` when it does not exist."""
        found = aws_call(
            "ecs:DescribeServices",
            f"{self.cluster}/{self.name}",
            self.clients.ecs.describe_services,
            cluster=self.cluster,
            services=[self.name],
        )
        services = [s for s in found.get("services", []) if s.get("status") != "INACTIVE"]
        if not services:
            raise AwsError(
                "ecs:DescribeServices", f"{self.cluster}/{self.name}", "NotFound", "no such service"
            )
        return dict(services[0])

    def tags_of(self, arn: str) -> dict[str, str]:
        """The tags of a task definition revision (cached: a revision never changes)."""
        if arn not in self._labels:
            found = aws_call(
                "ecs:DescribeTaskDefinition",
                arn,
                self.clients.ecs.describe_task_definition,
                taskDefinition=arn,
                include=["TAGS"],
            )
            self._labels[arn] = {t["key"]: t["value"] for t in found.get("tags", [])}
        return self._labels[arn]

    def current_label(self) -> str | None:
        """The ``fleetops:version`` tag of the revision the service runs."""
        return self.tags_of(self.describe_service()["taskDefinition"]).get(VERSION_TAG)

    # -- releases --------------------------------------------------------------------------------

    def record_current(self, environment: str, number: int, version: str) -> str:
        """Tag the revision the service runs as release ``number`` (TagResource)."""
        arn = str(self.describe_service()["taskDefinition"])
        tags = [
            {"key": RELEASE_TAG, "value": _label(environment, self.service, number)},
            {"key": VERSION_TAG, "value": version},
        ]
        aws_call("ecs:TagResource", arn, self.clients.ecs.tag_resource, resourceArn=arn, tags=tags)
        self._labels.pop(arn, None)
        return arn

    def release_target(self, environment: str, number: int, version: str) -> str:
        """The task definition revision of the release: found by its tag, else registered."""
        label = _label(environment, self.service, number)
        current = str(self.describe_service()["taskDefinition"])
        base = aws_call(
            "ecs:DescribeTaskDefinition",
            current,
            self.clients.ecs.describe_task_definition,
            taskDefinition=current,
        )["taskDefinition"]
        revisions = aws_call(
            "ecs:ListTaskDefinitions",
            base["family"],
            self.clients.ecs.list_task_definitions,
            familyPrefix=base["family"],
            sort="DESC",
        )["taskDefinitionArns"]
        for arn in revisions[:100]:
            if self.tags_of(arn).get(RELEASE_TAG) == label:
                return str(arn)
        params = {key: base[key] for key in REGISTER_KEYS if base.get(key) is not None}
        containers = copy.deepcopy(base["containerDefinitions"])
        first = containers[0]
        first["image"] = self.aws.images.get(version) or retag(str(first["image"]), version)
        env = [e for e in first.get("environment", []) if e.get("name") != "VERSION"]
        first["environment"] = [*env, {"name": "VERSION", "value": version}]
        registered = aws_call(
            "ecs:RegisterTaskDefinition",
            base["family"],
            self.clients.ecs.register_task_definition,
            **params,
            containerDefinitions=containers,
            tags=[{"key": VERSION_TAG, "value": version}, {"key": RELEASE_TAG, "value": label}],
        )["taskDefinition"]
        return str(registered["taskDefinitionArn"])

    # -- deployments -----------------------------------------------------------------------------

    def start(self, target: str, preferences: Mapping[str, Any]) -> str:
        """UpdateService to revision ``target`` with the deployment configuration; its deployment id."""
        rollback = bool(preferences.get("AutoRollback"))
        config: dict[str, Any] = {
            "minimumHealthyPercent": int(preferences.get("MinHealthyPercentage", 100)),
            "maximumPercent": int(preferences.get("MaxHealthyPercentage") or 200),
            "deploymentCircuitBreaker": {"enable": True, "rollback": rollback},
        }
        alarms = (preferences.get("AlarmSpecification") or {}).get("Alarms", [])
        if alarms:
            config["alarms"] = {"alarmNames": list(alarms), "enable": True, "rollback": rollback}
        updated = aws_call(
            "ecs:UpdateService",
            f"{self.cluster}/{self.name}",
            self.clients.ecs.update_service,
            cluster=self.cluster,
            service=self.name,
            taskDefinition=target,
            deploymentConfiguration=config,
        )["service"]
        for deployment in updated.get("deployments", []):
            if deployment.get("status") == "PRIMARY":
                return str(deployment["id"])
        raise AwsError(
            "ecs:UpdateService", self.name, "NoDeployment", "the service reports no PRIMARY deployment"
        )

    def recent(self) -> Sequence[Refresh]:
        """The service's deployments, newest first."""
        deployments = self.describe_service().get("deployments", [])
        return [_refresh(d) for d in sorted(deployments, key=lambda d: d.get("createdAt") or 0, reverse=True)]

    def describe(self, refresh_id: str) -> Refresh:
        """One deployment; Cancelled once ECS no longer lists it (replaced by a later one)."""
        for refresh in self.recent():
            if refresh.id == refresh_id:
                return refresh
        return Refresh(refresh_id, "Cancelled", "replaced by a later deployment", 0, 0, None, None, None)

    def cancel(self, refresh_id: str) -> None:
        """UpdateService back to the revision the deployment replaces."""
        self._back(refresh_id)

    def rollback(self, refresh_id: str) -> None:
        """UpdateService back to the revision the deployment replaces."""
        self._back(refresh_id)

    def _back(self, refresh_id: str) -> None:
        deployments = self.describe_service().get("deployments", [])
        previous = [d for d in deployments if d.get("id") != refresh_id and d.get("status") == "ACTIVE"]
        if not previous:
            raise Refused(f"{self.service}: deployment {refresh_id} replaces nothing still running")
        aws_call(
            "ecs:UpdateService",
            f"{self.cluster}/{self.name}",
            self.clients.ecs.update_service,
            cluster=self.cluster,
            service=self.name,
            taskDefinition=previous[0]["taskDefinition"],
        )

    def finalize(self, target: str) -> None:
        """Nothing: UpdateService already made ``target`` the service's task definition."""

    # -- capacity --------------------------------------------------------------------------------

    def capacity(self) -> Capacity:
        """The desired count, the fleet file's bounds (ECS has none of its own) and the tasks."""
        described = self.describe_service()
        return Capacity(
            desired=int(described.get("desiredCount", 0)),
            minimum=self.bounds.min,
            maximum=self.bounds.max,
            instances=tuple(self.tasks()),
        )

    def tasks(self) -> list[AwsInstance]:
        """The service's tasks (ListTasks, DescribeTasks) with their version and health."""
        arns = aws_call(
            "ecs:ListTasks",
            f"{self.cluster}/{self.name}",
            self.clients.ecs.list_tasks,
            cluster=self.cluster,
            serviceName=self.name,
        )["taskArns"]
        if not arns:
            return []
        found = aws_call(
            "ecs:DescribeTasks", f"{self.cluster}/{self.name}", self.clients.ecs.describe_tasks,
            cluster=self.cluster, tasks=arns,
        )["tasks"]  # fmt: skip
        out = []
        for task in found:
            status = str(task.get("lastStatus", "PENDING"))
            health = str(task.get("healthStatus", "UNKNOWN"))
            if health == "HEALTHY" or (health == "UNKNOWN" and status == "RUNNING"):
                state, reason = (
                    "healthy",
                    "" if health == "HEALTHY" else "running (no container health check)",
                )
            elif health == "UNHEALTHY":
                state, reason = "unhealthy", "container health check failing"
            else:
                state, reason = "initial", status
            out.append(
                AwsInstance(
                    id=str(task["taskArn"]).rsplit("/", 1)[-1],
                    version=self.tags_of(str(task["taskDefinitionArn"])).get(VERSION_TAG, ""),
                    state=_TASK_STATE.get(status, "Pending"),
                    health=state,
                    health_reason=reason,
                    address="",
                    launched_at=task.get("startedAt") or task.get("createdAt"),
                )
            )
        return out

    def put_target_tracking(self) -> None:
        """Register the service as a scalable target with the file's min..max and put its
        target-tracking policy (nothing without ``scaling:``)."""
        if self.scaling is not None:
            self.target.put_target_tracking(self.scaling, self.bounds)

    def set_desired(self, desired: int) -> None:
        """UpdateService desiredCount, the scalable target's bounds first made to include it."""
        self.target.keep_including(desired, self.bounds)
        aws_call(
            "ecs:UpdateService",
            f"{self.cluster}/{self.name}",
            self.clients.ecs.update_service,
            cluster=self.cluster,
            service=self.name,
            desiredCount=desired,
        )

    def activities(self) -> Sequence[Mapping[str, Any]]:
        """Application Auto Scaling's activities of the service (with ``scaling:``), else the
        service's events (ECS's record of what it did), newest first."""
        if self.scaling is not None:
            return self.target.activities()
        events = self.describe_service().get("events", [])
        return [{"StartTime": e.get("createdAt"), "Cause": e.get("message", "")} for e in events]

    def endpoint(self) -> str:
        """The load balancer of the service's target group, if it has one."""
        if self.aws.target_group_arn is None:
            return "(no target group)"
        groups = aws_call(
            "elasticloadbalancing:DescribeTargetGroups",
            self.aws.target_group_arn,
            self.clients.elbv2.describe_target_groups,
            TargetGroupArns=[self.aws.target_group_arn],
        )["TargetGroups"]
        balancers = groups[0].get("LoadBalancerArns", []) if groups else []
        if not balancers:
            return f"(target group {self.aws.target_group_arn} is behind no load balancer)"
        (balancer,) = aws_call(
            "elasticloadbalancing:DescribeLoadBalancers",
            balancers[0],
            self.clients.elbv2.describe_load_balancers,
            LoadBalancerArns=[balancers[0]],
        )["LoadBalancers"]
        return f"http://{balancer['DNSName']}"


def _label(environment: str, service: str, number: int) -> str:
    return f"{environment}/{service}#{number}"


def _refresh(deployment: Mapping[str, Any]) -> Refresh:
    desired = int(deployment.get("desiredCount", 0))
    running = int(deployment.get("runningCount", 0))
    state = str(deployment.get("rolloutState", "IN_PROGRESS"))
    return Refresh(
        id=str(deployment["id"]),
        status=_ROLLOUT.get(state, "InProgress"),
        status_reason=str(deployment.get("rolloutStateReason", "")),
        percentage_complete=100 if state == "COMPLETED" else (100 * running // desired if desired else 0),
        instances_to_update=max(desired - running, 0),
        started_at=deployment.get("createdAt"),
        ended_at=deployment.get("updatedAt") if state != "IN_PROGRESS" else None,
        target=str(deployment.get("taskDefinition")),
    )
