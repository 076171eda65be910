"""What a deployment would do, from the fleet file alone: waves, rollout batches, gates, duration.

Batches are computed by the rollout itself (:func:`fleetops.rollout.plan_refresh`), so a plan
shows what a deployment does. They follow EC2 Auto Scaling instance refresh rules:

- at least ``ceil(desired * MinHealthyPercentage / 100)`` instances stay in service and healthy,
  at most ``floor(desired * MaxHealthyPercentage / 100)`` are in service or pending, so a batch
  replaces the difference; when that is 0 it replaces one at a time, launching first if
  MaxHealthyPercentage was given and terminating first if it was omitted;
- capacity above desired (MaxHealthyPercentage > 100) is used to launch new instances before
  old ones are terminated; the rest of a batch terminates first, then launches;
- a checkpoint is reached when the share of replaced instances reaches or passes its
  percentage (a batch never goes past the next checkpoint's count; several checkpoints passed at
  once pause once); the refresh pauses for CheckpointDelay, except at the last one, where it ends;
  a last checkpoint below 100 leaves the rest of the group unreplaced (a partial refresh);
- a batch is done when its new instances are healthy and their InstanceWarmup has passed; old
  instances are drained (deregistration delay) before they stop;
- after the last batch the refresh bakes for BakeTime, watching the alarms, before it succeeds.

Duration estimates assume an instance answers its health check as soon as it starts, so a new
instance is healthy after ``healthy_threshold`` checks, one per ``interval``.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from fleetops.errors import BadInput
from fleetops.rollout import RefreshPreferences, plan_refresh
from fleetops.spec.durations import format_duration
from fleetops.spec.fleet import Fleet
from fleetops.spec.graph import waves as graph_waves
from fleetops.spec.models import Approval, AwsSettings, Service
from fleetops.spec.resources import Alarm


@dataclass(frozen=True)
class Batch:
    """One step of a rollout: which instances are replaced, how, and what follows."""

    number: int
    replace: int
    launch_first: int
    """New instances launched before any old one of this batch stops (capacity above desired)."""
    terminate_first: int
    """Old instances stopped before their replacements launch."""
    replaced_after: int
    percent_after: float
    checkpoint: int | None = None
    """The checkpoint percentage reached after this batch, if the refresh pauses there."""
    pause: timedelta = timedelta(0)
    estimate: timedelta = timedelta(0)


@dataclass(frozen=True)
class RolloutShape:
    """The batches a rollout of ``desired`` instances takes, and its capacity bounds."""

    desired: int
    min_in_service: int
    max_capacity: int
    batches: list[Batch]
    notes: list[str] = field(default_factory=list)


def rollout_batches(
    desired: int, min_healthy_percent: int, max_healthy_percent: int | None, checkpoints: Sequence[int] = ()
) -> RolloutShape:
    """The batches of an instance refresh of ``desired`` instances (no timings).

    ``max_healthy_percent`` None means omitted: 100, except when no replacement fits between the
    bounds, where an omitted value terminates before launching and an explicit one launches first.
    The batches are the rollout's own (:func:`fleetops.rollout.plan_refresh`).
    """
    preferences = RefreshPreferences(
        min_healthy_percentage=min_healthy_percent,
        max_healthy_percentage=max_healthy_percent,
        checkpoint_percentages=tuple(checkpoints),
    )
    if desired == 0:
        return RolloutShape(0, 0, 0, [], ["desired capacity is 0: nothing to replace"])
    refresh = plan_refresh(desired=desired, preferences=preferences, deregistration_delay_ms=0)
    window = refresh.window
    notes: list[str] = []
    if window.max_total - window.min_healthy < 1:
        if max_healthy_percent is not None:
            shown, effect = (
                f"{max_healthy_percent}%",
                "launched before the old one stops, briefly above the maximum",
            )
        else:
            shown, effect = "100% (omitted)", "the old one stops first, briefly below the minimum"
        notes.append(
            f"min/max healthy {min_healthy_percent}%/{shown} of {desired} leave no room: "
            f"one instance at a time, {effect}"
        )
    batches: list[Batch] = []
    for number, planned in enumerate(refresh.batches, start=1):
        last = number == len(refresh.batches)
        shape = planned.shape
        batches.append(
            Batch(
                number=number,
                replace=shape.size,
                launch_first=shape.launch_first,
                terminate_first=shape.terminate_first,
                replaced_after=planned.on_target_after,
                percent_after=round(planned.on_target_after * 100 / desired, 1),
                checkpoint=max(planned.checkpoints) if planned.checkpoints and not last else None,
            )
        )
        if shape.terminate_first >= desired:
            notes.append(f"batch {number} stops every old instance before a new one is up: downtime")
    goal = refresh.replacements
    if goal < desired:
        notes.append(f"partial refresh: stops after {goal} of {desired} (last checkpoint {checkpoints[-1]}%)")
    return RolloutShape(desired, window.min_healthy, window.max_total, batches, notes)


@dataclass(frozen=True)
class ServicePlan:
    """The rollout of one service in one environment."""

    name: str
    wave: int
    desired: int
    min_in_service: int
    max_capacity: int
    batches: list[Batch]
    gates: list[str]
    bake_time: timedelta
    estimate: timedelta
    depends_on: list[str]
    not_in_plan: list[str]
    target: dict[str, Any]
    notes: list[str]


@dataclass(frozen=True)
class FleetPlan:
    """A deployment of a fleet (or some of its services) to one environment."""

    environment: str
    provider: str
    version: str | None
    approval: bool
    promote_from: str | None
    waves: list[list[str]]
    services: list[ServicePlan]
    skipped: list[str]
    estimate: timedelta


def plan(
    fleet: Fleet, environment: str, version: str | None = None, services: Sequence[str] = ()
) -> FleetPlan:
    """Plan a deployment of ``services`` (default: all) at ``version`` to ``environment``.

    Raises :class:`BadInput` naming the known environments or services for an unknown name.
    """
    if environment not in fleet.environments:
        known = ", ".join(fleet.environments)
        raise BadInput(f"unknown environment '{environment}' (known: {known})")
    unknown = [name for name in services if name not in fleet.services]
    if unknown:
        known = ", ".join(sorted(fleet.services))
        names = ", ".join(f"'{n}'" for n in unknown)
        raise BadInput(f"unknown service{'s' if len(unknown) > 1 else ''} {names} (known: {known})")
    selected = [name for name in fleet.services if not services or name in services]
    levels = deployment_waves(fleet, environment, selected)
    settings = fleet.environments[environment]
    planned: list[ServicePlan] = []
    for wave_number, wave in enumerate(levels, start=1):
        for name in wave:
            service = fleet.service(name, environment)
            planned.append(
                _service_plan(
                    fleet,
                    name,
                    service,
                    wave=wave_number,
                    settings=settings,
                    version=version,
                    selected=selected,
                )
            )
    # Services of a wave roll out in parallel: a wave takes as long as its slowest service.
    slowest = [max(p.estimate for p in planned if p.wave == n) for n in range(1, len(levels) + 1)]
    total = sum(slowest, timedelta(0))
    return FleetPlan(
        environment=environment,
        provider=settings.provider,
        version=version,
        approval=settings.approval is Approval.REQUIRED,
        promote_from=settings.promote_from,
        waves=levels,
        services=planned,
        skipped=sorted(set(fleet.services) - set(selected)),
        estimate=total,
    )


def deployment_waves(fleet: Fleet, environment: str, services: Collection[str]) -> list[list[str]]:
    """The waves a deployment of ``services`` to ``environment`` runs, in order.

    Waves of the whole fleet's dependency graph (as the environment resolves ``depends_on``),
    then only ``services``, empty waves dropped: a service still follows those it depends on
    through services not deployed now. The deploy runbook and ``fleetops plan`` both use this.
    """
    graph = {name: fleet.service(name, environment).depends_on for name in fleet.services}
    ordered = ([name for name in wave if name in services] for wave in graph_waves(graph))
    return [wave for wave in ordered if wave]


def _service_plan(
    fleet: Fleet,
    name: str,
    service: Service,
    *,
    wave: int,
    settings: Any,
    version: str | None,
    selected: list[str],
) -> ServicePlan:
    deploy, health = service.deploy, service.health
    shape = rollout_batches(
        service.instances.desired,
        deploy.min_healthy_percent,
        deploy.max_healthy_percent,
        deploy.checkpoints,
    )
    to_healthy = health.interval * health.healthy_threshold
    per_batch = deploy.deregistration_delay + to_healthy + deploy.warmup
    batches = [
        replace(b, pause=deploy.checkpoint_delay if b.checkpoint else timedelta(0), estimate=per_batch)
        for b in shape.batches
    ]
    estimate = sum((b.estimate + b.pause for b in batches), timedelta(0)) + (
        deploy.bake_time if batches else timedelta(0)
    )
    gates = [
        f"health: GET {health.path} every {format_duration(health.interval)} "
        f"(timeout {format_duration(health.timeout)}, codes {health.matcher}): healthy after "
        f"{health.healthy_threshold} passes, unhealthy after {health.unhealthy_threshold} failures",
    ]
    if deploy.warmup:
        gates.append(f"warmup: {format_duration(deploy.warmup)} after each new instance is healthy")
    if deploy.deregistration_delay:
        # Often the longest part of a batch (ALB's default is 5m): say where the time goes.
        gates.append(
            f"drain: {format_duration(deploy.deregistration_delay)} before each old instance stops "
            "(deregistration delay)"
        )
    gates += [f"alarm {a}: {describe_alarm(fleet.alarms[a])}" for a in deploy.alarms if a in fleet.alarms]
    pauses = [b.checkpoint for b in batches if b.checkpoint]
    if pauses:
        at = ", ".join(f"{p}%" for p in pauses)
        gates.append(f"checkpoints: pause {format_duration(deploy.checkpoint_delay)} at {at}")
    if deploy.bake_time:
        gates.append(f"bake: {format_duration(deploy.bake_time)} after the last batch, watching alarms")
    gates.append("on failure: roll back" if deploy.auto_rollback else "on failure: stop, no rollback")
    return ServicePlan(
        name=name,
        wave=wave,
        desired=shape.desired,
        min_in_service=shape.min_in_service,
        max_capacity=shape.max_capacity,
        batches=batches,
        gates=gates,
        bake_time=deploy.bake_time,
        estimate=estimate,
        depends_on=list(service.depends_on),
        not_in_plan=[d for d in service.depends_on if d not in selected],
        target=_target(service, settings, version),
        notes=shape.notes,
    )


def _target(service: Service, settings: Any, version: str | None) -> dict[str, Any]:
    overrides = service.versions[version].env if version is not None and version in service.versions else {}
    if isinstance(settings, AwsSettings) and service.aws is not None and service.aws.ecs:
        return {
            "ecs_cluster": service.aws.ecs_cluster,
            "ecs_service": service.aws.ecs_service,
            "task_definition": "a new revision for this release",
            "version_env": dict(overrides),
        }
    if isinstance(settings, AwsSettings) and service.aws is not None:
        return {
            "auto_scaling_group": service.aws.auto_scaling_group,
            "launch_template": f"{service.aws.launch_template_id} (a new version for this release)",
            "target_group_arn": service.aws.target_group_arn,
            "version_env": dict(overrides),
        }
    command = service.run.command if service.run is not None else ""
    return {
        "command": _render_command(command, version),
        "version_env": dict(overrides),
    }


class _KeepMissing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _render_command(command: str, version: str | None) -> str:
    values = _KeepMissing(version=version) if version is not None else _KeepMissing()
    return string.Formatter().vformat(command, (), values)


def describe_alarm(alarm: Alarm) -> str:
    """``Sum of HTTPCode_Target_5XX_Count > 5 for 2 of 3 periods of 10s``."""
    symbols = {
        "GreaterThanThreshold": ">",
        "GreaterThanOrEqualToThreshold": ">=",
        "LessThanThreshold": "<",
        "LessThanOrEqualToThreshold": "<=",
    }
    m, n = alarm.m_of_n
    threshold = f"{alarm.threshold:g}"
    return (
        f"{alarm.watched} {symbols[alarm.comparison.value]} {threshold} "
        f"for {m} of {n} periods of {format_duration(alarm.period)}"
    )
