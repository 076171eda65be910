"""Shims on moto's backends for exactly what moto 5.2 lacks, and a log of the calls it served.

moto is static where AWS moves: it has no instance refresh, its target health never changes, and
it records no scaling activity. :func:`install` adds, on moto's own backends (so everything else
still goes through moto and real boto3 calls):

- **instance refresh** (``SHIM_INSTANCE_REFRESH``): StartInstanceRefresh,
  DescribeInstanceRefreshes, CancelInstanceRefresh and RollbackInstanceRefresh. A refresh moves
  one step each time it is described: Pending -> InProgress, then one instance replaced per look
  (the old one terminated, a new one launched from the ``DesiredConfiguration`` version, as the
  group launches), Baking when ``BakeTime`` is set, then Successful, when the group is set to the
  desired version as AWS does. A replaced instance whose target is unhealthy fails the refresh
  (with ``AutoRollback``: RollbackInProgress, then its new instances replaced back,
  RollbackSuccessful). Cancel: Cancelling, then Cancelled. The refresh of a group a test holds
  (:func:`hold`, until :func:`release`) stays InProgress, replacing nothing, until it is
  cancelled or rolled back.
- **target health** (``SHIM_TARGET_HEALTH``): :func:`fail_health` makes instances launched from
  a release version (the ``fleetops:version`` instance tag) unhealthy in every target group,
  with ELB's reason code and description.
- **scaling activities** (``SHIM_SCALING_ACTIVITIES``): SetDesiredCapacity and
  UpdateAutoScalingGroup record an activity with AWS's cause sentence; DescribeScalingActivities
  lists them (moto answers an empty list).
- **ECS deployments** (``SHIM_ECS_DEPLOYMENTS``): UpdateService to another task definition
  starts a PRIMARY deployment (the previous one ACTIVE) that moves one task per DescribeServices,
  then COMPLETED (the ACTIVE one drained). A task definition tagged with a failing version
  (:func:`fail_health`) fails it (FAILED, the circuit breaker's reason; with its rollback, the
  service is back on the ACTIVE revision). ListTasks/DescribeTasks answer the service's tasks
  (moto starts none for a service), RUNNING at their deployment's revision.
- **Application Auto Scaling activities** (``SHIM_APP_SCALING_ACTIVITIES``, in
  ``fleetops.testing.moto_app_scaling``): DescribeScalingActivities (moto has none) answering
  what :func:`policy_scales` did as a target-tracking policy would (moto never scales).

:class:`CallLog` records every action moto serves (service, action, parameters) so a test can
assert the exact calls a separate control plane process made.
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.autoscaling import models as asg_models
from moto.autoscaling.exceptions import AutoscalingClientError
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.elbv2 import models as elb_models

from fleetops.testing import moto_app_scaling
from fleetops.testing.moto_app_scaling import policy_scales

SHIM_INSTANCE_REFRESH = "instance refresh (Start/Describe/Cancel/RollbackInstanceRefresh)"
SHIM_TARGET_HEALTH = "target health of instances of a failing release"
SHIM_SCALING_ACTIVITIES = "scaling activities (DescribeScalingActivities)"
SHIM_ECS_DEPLOYMENTS = "ECS deployments that progress, and the tasks of a service (ListTasks/DescribeTasks)"
SHIM_APP_SCALING_ACTIVITIES = "Application Auto Scaling's DescribeScalingActivities, and a policy that scales"

VERSION_TAG = "fleetops:version"
_ACTIVE = ("Pending", "InProgress", "Baking", "Cancelling", "RollbackInProgress")
_lock = threading.RLock()
_installed: list[bool] = []  # non-empty once installed (a list: no `global` needed)


@dataclass
class _Refresh:
    id: str
    group: str
    target: str
    previous: str
    preferences: dict[str, Any]
    to_replace: list[str]
    status: str = "Pending"
    reason: str = ""
    replaced: list[str] = field(default_factory=list)
    total: int = 0
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None
    baked: bool = False

    def describe(self, template_id: str) -> dict[str, Any]:
        done = len(self.replaced)
        out: dict[str, Any] = {
            "InstanceRefreshId": self.id,
            "AutoScalingGroupName": self.group,
            "Status": self.status,
            "StatusReason": self.reason,
            "StartTime": self.started,
            "PercentageComplete": 100 if self.status == "Successful" else (100 * done // max(self.total, 1)),
            "InstancesToUpdate": max(self.total - done, 0),
            "Preferences": self.preferences,
            "DesiredConfiguration": {
                "LaunchTemplate": {"LaunchTemplateId": template_id, "Version": self.target}
            },
        }
        if self.ended is not None:
            out["EndTime"] = self.ended
        return out


@dataclass
class ShimState:
    """What the shims hold: refreshes by group, failing versions, activities by group."""

    refreshes: dict[str, list[_Refresh]] = field(default_factory=dict)
    unhealthy_versions: set[str] = field(default_factory=set)
    held_groups: set[str] = field(default_factory=set)
    """Groups whose refreshes replace no instance while held (``hold``)."""
    activities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """ECS service key (cluster:service) -> its tasks."""


STATE = ShimState()


@dataclass(frozen=True)
class Call:
    """One action moto served."""

    service: str
    action: str
    params: dict[str, Any]


class CallLog:
    """Every action moto serves while :func:`recording` is active (thread-safe)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def of(self, action: str) -> list[Call]:
        """The calls of one action (``StartInstanceRefresh``), oldest first."""
        with _lock:
            return [c for c in self.calls if c.action == action]


_logs: list[CallLog] = []


@contextmanager
def recording() -> Iterator[CallLog]:
    """Record the actions moto serves inside the block."""
    log = CallLog()
    with _lock:
        _logs.append(log)
    try:
        yield log
    finally:
        with _lock:
            _logs.remove(log)


def fail_health(*versions: str) -> None:
    """Make instances of these release versions unhealthy in their target groups."""
    with _lock:
        STATE.unhealthy_versions.update(versions)


def hold(*groups: str) -> None:
    """Keep the refreshes of these groups InProgress without replacing anything (a test can then
    act on a refresh that is surely still running); a rollback or a cancel still proceeds."""
    with _lock:
        STATE.held_groups.update(groups)


def release(*groups: str) -> None:
    """Let the refreshes of these groups move again (undo :func:`hold`: a later test of a module
    that shares one moto refreshes them)."""
    with _lock:
        STATE.held_groups.difference_update(groups)


def reset() -> None:
    """Forget every refresh, failing version and activity (moto's own state is moto's reset)."""
    with _lock:
        STATE.refreshes.clear()
        STATE.unhealthy_versions.clear()
        STATE.held_groups.clear()
        STATE.activities.clear()
        STATE.tasks.clear()
    moto_app_scaling.reset()


def install() -> None:
    """Add the shims to moto (idempotent)."""
    with _lock:
        if _installed:
            return
        _installed.append(True)
        _install_call_log()
        _install_refresh()
        _install_health()
        _install_activities()
        _install_ecs()
        moto_app_scaling.install()


# -- the call log ----------------------------------------------------------------------------------


def _install_call_log() -> None:
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        with _lock:
            if _logs:
                try:
                    params = self._get_params()
                except Exception:  # a body this protocol's parser cannot read: keep the action
                    params = {}
                # A copy: moto's handlers change the dict they are given (ModifyDBInstance pops
                # NewDBInstanceIdentifier), and the log keeps what was sent.
                call = Call(self.service_name or "", self._get_action(), copy.deepcopy(params))
                for log in _logs:
                    log.calls.append(call)
        return original(self)

    BaseResponse.call_action = call_action  # type: ignore[method-assign]


# -- instance refresh ------------------------------------------------------------------------------


def _backend(response: AutoScalingResponse) -> Any:
    return response.autoscaling_backend


def _version_of_instance(instance: Any) -> str:
    tags = instance.get_tags() if hasattr(instance, "get_tags") else []
    for tag in tags:
        if tag.get("key") == VERSION_TAG or tag.get("Key") == VERSION_TAG:
            return str(tag.get("value", tag.get("Value")))
    return ""


def _instance_lt_version(backend: Any, group: Any, instance: Any) -> str:
    return str(getattr(instance, "_fleetops_lt_version", _resolved(group)))


def _resolved(group: Any) -> str:
    version = str(group.launch_template_version)
    template = group.ec2_launch_template
    if template is None or version not in ("$Default", "$Latest"):
        return version
    number = template.default_version_number if version == "$Default" else template.latest_version_number
    return str(number)


def _launch_at(backend: Any, group: Any, version: str) -> None:
    """Launch one instance from launch template ``version`` (as AWS launches during a refresh),
    the group's own version left as it was."""
    before = group.launch_template_version
    group.launch_template_version = version
    try:
        group.replace_autoscaling_group_instances(1, group.get_propagated_tags())
    finally:
        group.launch_template_version = before
    backend.update_attached_target_groups(group.name)


def _terminate(backend: Any, group: Any, instance_id: str) -> None:
    group.instance_states = [s for s in group.instance_states if s.instance.id != instance_id]
    backend.ec2_backend.terminate_instances([instance_id])
    backend.update_attached_target_groups(group.name)


def _unhealthy(group: Any, instance_id: str) -> bool:
    for state in group.instance_states:
        if state.instance.id == instance_id:
            return _version_of_instance(state.instance) in STATE.unhealthy_versions
    return False


def _step(backend: Any, refresh: _Refresh) -> None:
    group = backend.autoscaling_groups[refresh.group]
    if refresh.status == "Pending":
        refresh.status = "InProgress"
        return
    if refresh.status == "Cancelling":
        refresh.status, refresh.ended = "Cancelled", datetime.now(UTC)
        return
    if refresh.status == "RollbackInProgress":
        back = [
            s.instance.id
            for s in group.instance_states
            if _instance_lt_version(backend, group, s.instance) == refresh.target
        ]
        if back:
            _terminate(backend, group, back[0])
            _launch_at(backend, group, refresh.previous)
            return
        refresh.status, refresh.ended = "RollbackSuccessful", datetime.now(UTC)
        return
    if refresh.status == "InProgress":
        if refresh.group in STATE.held_groups:
            return
        if refresh.replaced and _unhealthy(group, refresh.replaced[-1]):
            reason = (
                f"Instance {refresh.replaced[-1]} failed its target group health checks "
                "(Target.ResponseCodeMismatch: Health checks failed with these codes: [503])"
            )
            if refresh.preferences.get("AutoRollback"):
                refresh.status, refresh.reason = "RollbackInProgress", reason
            else:
                refresh.status, refresh.reason, refresh.ended = "Failed", reason, datetime.now(UTC)
            return
        remaining = [i for i in refresh.to_replace if i not in refresh.replaced]
        live = {s.instance.id for s in group.instance_states}
        remaining = [i for i in remaining if i in live]
        if remaining:
            known = {s.instance.id for s in group.instance_states}
            _terminate(backend, group, remaining[0])
            _launch_at(backend, group, refresh.target)
            new = [s.instance.id for s in group.instance_states if s.instance.id not in known]
            refresh.replaced.extend(new[:1] or [remaining[0]])
            refresh.to_replace.remove(remaining[0])
            refresh.to_replace.append(new[0] if new else remaining[0])
            return
        if refresh.preferences.get("BakeTime") and not refresh.baked:
            refresh.status, refresh.baked = "Baking", True
            return
        _succeed(backend, group, refresh)
        return
    if refresh.status == "Baking":
        _succeed(backend, group, refresh)


def _succeed(backend: Any, group: Any, refresh: _Refresh) -> None:
    # As AWS: a refresh with a DesiredConfiguration updates the group to it when it succeeds.
    group.launch_template_version = refresh.target
    group.provided_launch_template_version = refresh.target
    refresh.status, refresh.ended = "Successful", datetime.now(UTC)


def _install_refresh() -> None:
    original_launch: Callable[..., Any] = asg_models.FakeAutoScalingGroup.replace_autoscaling_group_instances

    def replace_autoscaling_group_instances(self: Any, count_needed: int, propagated_tags: Any) -> None:
        # Remember the version each instance was launched from (AWS reports it per instance).
        known = {s.instance.id for s in self.instance_states}
        original_launch(self, count_needed, propagated_tags)
        for state in self.instance_states:
            if state.instance.id not in known:
                state.instance._fleetops_lt_version = _resolved(self)

    asg_models.FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances  # type: ignore[method-assign]

    def start_instance_refresh(self: AutoScalingResponse) -> ActionResult:
        backend = _backend(self)
        name = self._get_param("AutoScalingGroupName")
        group = backend.autoscaling_groups.get(name)
        if group is None:
            raise AutoscalingClientError("ValidationError", f"AutoScalingGroup name not found - {name}")
        desired = self._get_param("DesiredConfiguration") or {}
        version = str(desired.get("LaunchTemplate", {}).get("Version") or group.launch_template_version)
        preferences = self._get_param("Preferences") or {}
        with _lock:
            history = STATE.refreshes.setdefault(name, [])
            if any(r.status in _ACTIVE for r in history):
                raise AutoscalingClientError(
                    "InstanceRefreshInProgress",
                    "An Instance Refresh is already in progress and blocks the execution of this "
                    f"Instance Refresh for {name}.",
                )
            skip = bool(preferences.get("SkipMatching"))
            to_replace = [
                s.instance.id
                for s in group.instance_states
                if not (skip and _instance_lt_version(backend, group, s.instance) == version)
            ]
            refresh = _Refresh(
                id=str(uuid.uuid4()),
                group=name,
                target=version,
                previous=str(group.launch_template_version),
                preferences=_typed_preferences(preferences),
                to_replace=to_replace,
                total=len(to_replace),
            )
            history.insert(0, refresh)
        return ActionResult({"InstanceRefreshId": refresh.id})

    def describe_instance_refreshes(self: AutoScalingResponse) -> ActionResult:
        backend = _backend(self)
        name = self._get_param("AutoScalingGroupName")
        ids = self._get_param("InstanceRefreshIds") or []
        group = backend.autoscaling_groups.get(name)
        template_id = group.ec2_launch_template.id if group and group.ec2_launch_template else ""
        with _lock:
            found = [r for r in STATE.refreshes.get(name, []) if not ids or r.id in ids]
            for refresh in found:
                if refresh.status in _ACTIVE:
                    _step(backend, refresh)
            items = [r.describe(template_id) for r in found]
        return ActionResult({"InstanceRefreshes": items})

    def cancel_instance_refresh(self: AutoScalingResponse) -> ActionResult:
        name = self._get_param("AutoScalingGroupName")
        with _lock:
            for refresh in STATE.refreshes.get(name, []):
                if refresh.status in ("Pending", "InProgress", "Baking"):
                    refresh.status = "Cancelling"
                    return ActionResult({"InstanceRefreshId": refresh.id})
        raise AutoscalingClientError(
            "ActiveInstanceRefreshNotFound", f"No in progress or pending Instance Refresh found for {name}"
        )

    def rollback_instance_refresh(self: AutoScalingResponse) -> ActionResult:
        name = self._get_param("AutoScalingGroupName")
        with _lock:
            for refresh in STATE.refreshes.get(name, []):
                if refresh.status in ("Pending", "InProgress", "Baking"):
                    refresh.status = "RollbackInProgress"
                    refresh.reason = "Rollback requested by the user"
                    return ActionResult({"InstanceRefreshId": refresh.id})
        raise AutoscalingClientError(
            "ActiveInstanceRefreshNotFound", f"No in progress or pending Instance Refresh found for {name}"
        )

    for fn in (
        start_instance_refresh,
        describe_instance_refreshes,
        cancel_instance_refresh,
        rollback_instance_refresh,
    ):
        setattr(AutoScalingResponse, fn.__name__, fn)


def _typed_preferences(raw: dict[str, Any]) -> dict[str, Any]:
    # The query protocol hands every value over as text; AWS echoes them typed.
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value.lower() in ("true", "false"):
            out[key] = value.lower() == "true"
        elif isinstance(value, str) and value.isdigit():
            out[key] = int(value)
        elif isinstance(value, list):
            out[key] = [int(v) if isinstance(v, str) and v.isdigit() else v for v in value]
        else:
            out[key] = value
    return out


# -- target health ---------------------------------------------------------------------------------


def _install_health() -> None:
    original: Callable[..., Any] = elb_models.FakeTargetGroup.health_for

    def health_for(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
        status = original(self, target, ec2_backend)
        if status.status != "healthy" or not STATE.unhealthy_versions:
            return status
        instance = ec2_backend.get_instance_by_id(target["Id"])
        if instance is not None and _version_of_instance(instance) in STATE.unhealthy_versions:
            return elb_models.FakeHealthStatus(
                status.instance_id,
                status.port,
                status.health_port,
                "unhealthy",
                "Target.ResponseCodeMismatch",
                "Health checks failed with these codes: [503]",
            )
        return status

    elb_models.FakeTargetGroup.health_for = health_for  # type: ignore[method-assign]


# -- scaling activities ----------------------------------------------------------------------------


def _install_activities() -> None:
    original_set: Callable[..., Any] = asg_models.AutoScalingBackend.set_desired_capacity
    counter = itertools.count(1)

    def set_desired_capacity(self: Any, group_name: str, desired_capacity: int | None) -> None:
        group = self.autoscaling_groups[group_name]
        before = group.desired_capacity
        original_set(self, group_name, desired_capacity)
        after = group.desired_capacity
        if before != after:
            now = datetime.now(UTC)
            cause = (
                f"At {now:%Y-%m-%dT%H:%M:%SZ} a user request explicitly set group desired capacity "
                f"changing the desired capacity from {before} to {after}."
            )
            with _lock:
                STATE.activities.setdefault(group_name, []).insert(
                    0,
                    {
                        "ActivityId": f"shim-{next(counter)}",
                        "AutoScalingGroupName": group_name,
                        "Description": f"Setting desired capacity from {before} to {after}",
                        "Cause": cause,
                        "StartTime": now,
                        "EndTime": now,
                        "StatusCode": "Successful",
                        "Progress": 100,
                    },
                )

    def describe_scaling_activities(self: AutoScalingResponse) -> ActionResult:
        name = self._get_param("AutoScalingGroupName")
        with _lock:
            items = list(STATE.activities.get(name, []))
        return ActionResult({"Activities": items})

    asg_models.AutoScalingBackend.set_desired_capacity = set_desired_capacity  # type: ignore[method-assign]
    AutoScalingResponse.describe_scaling_activities = describe_scaling_activities  # type: ignore[method-assign]


# -- ECS deployments and tasks ---------------------------------------------------------------------


def _td_version(backend: Any, arn: str) -> str:
    for tag in backend.list_tags_for_resource(arn):
        if tag.get("key") == VERSION_TAG:
            return str(tag.get("value"))
    return ""


def _ecs_tasks(backend: Any, key: str, service: Any) -> list[dict[str, Any]]:
    tasks = STATE.tasks.get(key)
    if tasks is None:
        tasks = [_new_task(service, service.task_definition) for _ in range(int(service.desired_count or 0))]
        STATE.tasks[key] = tasks
    return tasks


def _new_task(service: Any, task_definition: str) -> dict[str, Any]:
    cluster = service.cluster_arn
    now = datetime.now(UTC)
    return {
        "taskArn": f"{cluster.replace(':cluster/', ':task/')}/{uuid.uuid4().hex}",
        "clusterArn": cluster,
        "taskDefinitionArn": task_definition,
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "healthStatus": "UNKNOWN",
        "group": f"service:{service.name}",
        "createdAt": now,
        "startedAt": now,
        "launchType": "FARGATE",
    }


def _ecs_step(backend: Any, key: str, service: Any) -> None:
    tasks = _ecs_tasks(backend, key, service)
    primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)
    if primary is None or primary.get("rolloutState") != "IN_PROGRESS":
        return
    target = primary["taskDefinition"]
    active = [d for d in service.deployments if d.get("status") == "ACTIVE"]
    if _td_version(backend, target) in STATE.unhealthy_versions:
        primary["rolloutState"] = "FAILED"
        primary["rolloutStateReason"] = (
            "ECS deployment circuit breaker: tasks failed to start (container health check failing)."
        )
        breaker = (getattr(service, "deployment_configuration", None) or {}).get(
            "deploymentCircuitBreaker", {}
        )
        if breaker.get("rollback") and active:
            service.task_definition = active[0]["taskDefinition"]
            primary["status"] = "ACTIVE"
            active[0].update(status="PRIMARY", rolloutState="COMPLETED")
            for task in tasks:
                task["taskDefinitionArn"] = active[0]["taskDefinition"]
        return
    old = [t for t in tasks if t["taskDefinitionArn"] != target]
    if old:
        tasks.remove(old[0])
        tasks.append(_new_task(service, target))
        primary["runningCount"] = sum(1 for t in tasks if t["taskDefinitionArn"] == target)
        return
    primary.update(
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {primary['id']} completed.",
        runningCount=len(tasks),
        updatedAt=datetime.now(UTC),
    )
    service.deployments = [d for d in service.deployments if d.get("status") == "PRIMARY"]


def _install_ecs() -> None:
    from moto.ecs import models as ecs_models
    from moto.ecs.responses import EC2ContainerServiceResponse

    original_update: Callable[..., Any] = ecs_models.EC2ContainerServiceBackend.update_service

    def update_service(self: Any, properties: dict[str, Any]) -> Any:
        cluster = self._get_cluster(properties.get("cluster", "default"))
        key = f"{cluster.name}:{str(properties.get('service', '')).split('/')[-1]}"
        before = self.services[key].task_definition if key in self.services else None
        service = original_update(self, properties)
        with _lock:
            tasks = _ecs_tasks(self, key, service)
            desired = int(service.desired_count or 0)
            while len(tasks) > desired:
                tasks.pop(0)
            while len(tasks) < desired:
                tasks.append(_new_task(service, service.task_definition))
            if before is not None and service.task_definition != before:
                for deployment in service.deployments:
                    if deployment.get("status") == "PRIMARY":
                        deployment["status"] = "ACTIVE"
                now = datetime.now(UTC)
                service.deployments.insert(
                    0,
                    {
                        "id": f"ecs-svc/{uuid.uuid4().int % 10**19}",
                        "status": "PRIMARY",
                        "taskDefinition": service.task_definition,
                        "desiredCount": desired,
                        "pendingCount": 0,
                        "runningCount": 0,
                        "failedTasks": 0,
                        "createdAt": now,
                        "updatedAt": now,
                        "launchType": service.launch_type,
                        "rolloutState": "IN_PROGRESS",
                        "rolloutStateReason": "ECS deployment in progress.",
                    },
                )
        return service

    def describe_services(self: Any) -> ActionResult:
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        with _lock:
            for name in self._get_param("services", []):
                key = f"{cluster.name}:{name.split('/')[-1]}"
                if key in backend.services:
                    _ecs_step(backend, key, backend.services[key])
        return original_describe(self)

    def list_tasks(self: Any) -> ActionResult:
        backend = self.ecs_backend
        name = self._get_param("serviceName")
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        key = f"{cluster.name}:{name}"
        if name is None or key not in backend.services:
            return original_list(self)
        with _lock:
            arns = [t["taskArn"] for t in _ecs_tasks(backend, key, backend.services[key])]
        return ActionResult({"taskArns": arns})

    def describe_tasks(self: Any) -> ActionResult:
        wanted = set(self._get_param("tasks", []))
        with _lock:
            found = [t for tasks in STATE.tasks.values() for t in tasks if t["taskArn"] in wanted]
        if not found:
            return original_describe_tasks(self)
        return ActionResult({"tasks": found, "failures": []})

    original_describe = EC2ContainerServiceResponse.describe_services
    original_list = EC2ContainerServiceResponse.list_tasks
    original_describe_tasks = EC2ContainerServiceResponse.describe_tasks
    ecs_models.EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign,assignment]
    EC2ContainerServiceResponse.describe_services = describe_services  # type: ignore[method-assign]
    EC2ContainerServiceResponse.list_tasks = list_tasks  # type: ignore[method-assign]
    EC2ContainerServiceResponse.describe_tasks = describe_tasks  # type: ignore[method-assign]


__all__ = [
    "SHIM_APP_SCALING_ACTIVITIES",
    "SHIM_ECS_DEPLOYMENTS",
    "SHIM_INSTANCE_REFRESH",
    "SHIM_SCALING_ACTIVITIES",
    "SHIM_TARGET_HEALTH",
    "STATE",
    "Call",
    "CallLog",
    "EmptyResult",
    "fail_health",
    "install",
    "policy_scales",
    "recording",
    "reset",
]
