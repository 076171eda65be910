"""``Autoscaler``: target tracking on CPU for the services whose fleet file has ``scaling``.

Every ``interval_s`` it samples each InService instance's CPU, of every service (the status
shows it), from the provider (``usage()``: CPU seconds since start; utilization is the
difference between two samples over the wall time between them, in percent of one core). For a
service with ``scaling`` it asks its ``TargetTrackingPolicy`` (``fleetops.ops.autoscaling``) for
a decision and applies it through ``set_desired`` (the runtime's: it saves the desired count and
launches or drains instances). A scaled service is left alone while a rollout replaces its
instances (``rolling``).
"""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

from fleetops.errors import FleetopsError
from fleetops.ops.autoscaling import CpuSample, TargetTracking, TargetTrackingPolicy
from fleetops.ops.periodic import Periodic
from fleetops.providers.base import InstanceState, ManagedProvider
from fleetops.runbooks.ports import OPERATOR_CAUSE, ScalingActivity
from fleetops.spec.fleet import Fleet


class Autoscaler:
    """Drives the scaling policies of one environment's ``services`` from a background thread.

    ``desired`` reads a service's saved desired count (None before it has one), ``rolling`` says
    whether a rollout replaces its instances, ``set_desired`` applies a new count.
    """

    def __init__(
        self,
        fleet: Fleet,
        environment: str,
        services: list[str],
        *,
        provider: ManagedProvider,
        desired: Callable[[str], int | None],
        rolling: Callable[[str], bool],
        set_desired: Callable[[str, int], None],
        interval_s: float = 5.0,
    ) -> None:
        self._services = services
        self._provider = provider
        self._desired = desired
        self._rolling = rolling
        self._set_desired = set_desired
        self.interval_s = interval_s
        self.policies: dict[str, TargetTrackingPolicy] = {}
        for name in services:
            service = fleet.service(name, environment)
            if service.scaling is None:
                continue
            scaling = service.scaling
            warmup = scaling.warmup if scaling.warmup is not None else service.deploy.warmup
            self.policies[name] = TargetTrackingPolicy(
                TargetTracking(
                    target_cpu=scaling.target_cpu,
                    min=service.instances.min,
                    max=service.instances.max,
                    scale_out_cooldown_s=scaling.scale_out_cooldown.total_seconds(),
                    scale_in_cooldown_s=scaling.scale_in_cooldown.total_seconds(),
                    warmup_s=warmup.total_seconds(),
                    disable_scale_in=scaling.disable_scale_in,
                ),
                time.monotonic,
            )
        self.last_cpu: dict[str, float] = {}
        """CPU percent of each instance at the last sample."""
        self.events: collections.deque[ScalingActivity] = collections.deque(maxlen=200)
        """Scaling activities, oldest first (autoscaling's, and operators' through ``record``)."""
        self._previous: dict[str, tuple[float, float]] = {}
        self._in_service: set[str] = set()
        self._periodic = Periodic("fleet-autoscaler", self._tick, lambda: self.interval_s)

    def start(self) -> None:
        """Sample every service's CPU (shown by the status) and decide for the scaled ones,
        every ``interval_s``, in a daemon thread."""
        self._periodic.start()

    def stop(self) -> None:
        """Stop the thread."""
        self._periodic.stop()

    def set_policy(self, service: str, tracking: TargetTracking | None) -> None:
        """Run ``tracking`` for ``service`` from the next look on (None: no policy at all)."""
        if tracking is None:
            self.policies.pop(service, None)
        else:
            self.policies[service] = TargetTrackingPolicy(tracking, time.monotonic)

    def note_manual_change(self, service: str, before: int, after: int, cause: str = OPERATOR_CAUSE) -> None:
        """An operator (or a simple scaling policy) scaled ``service``: recorded with ``cause``,
        and its target tracking cooldowns start again."""
        self.events.append(ScalingActivity(datetime.now(UTC), service, before, after, cause))
        policy = self.policies.get(service)
        if policy is not None:
            policy.note_manual_change()

    def _tick(self) -> None:
        with contextlib.suppress(Exception):  # one bad pass must not end autoscaling
            self.step()

    def step(self) -> list[ScalingActivity]:
        """Sample every service once and apply the scaled ones' decisions; the activities."""
        events = []
        self._in_service = set()
        all_samples = {service: self._sample(service) for service in self._services}
        # Forget instances that have ended (their ids never come back).
        sampled = {sample.instance_id for samples in all_samples.values() for sample in samples}
        self.last_cpu = {key: value for key, value in self.last_cpu.items() if key in sampled}
        self._previous = {key: value for key, value in self._previous.items() if key in self._in_service}
        for service, samples in all_samples.items():
            policy = self.policies.get(service)
            if policy is None or self._rolling(service):
                continue
            desired = self._desired(service)
            if desired is None:
                continue
            decision = policy.decide(desired, samples)
            if decision is None or decision.desired == desired:
                continue
            try:
                self._set_desired(service, decision.desired)
            except FleetopsError:
                continue
            event = ScalingActivity(datetime.now(UTC), service, desired, decision.desired, decision.reason)
            self.events.append(event)
            events.append(event)
        return events

    def _sample(self, service: str) -> list[CpuSample]:
        provider = self._provider
        now_wall = datetime.now(UTC)
        now = time.monotonic()
        samples = []
        for info in provider.instances(service):
            if info.state is not InstanceState.IN_SERVICE:
                continue
            self._in_service.add(info.id)
            usage = provider.usage(info.id)
            if usage is None:
                continue
            previous = self._previous.get(info.id)
            self._previous[info.id] = (now, usage.cpu_seconds)
            if previous is None or now <= previous[0]:
                continue
            percent = 100.0 * (usage.cpu_seconds - previous[1]) / (now - previous[0])
            self.last_cpu[info.id] = round(percent, 1)
            age = (now_wall - info.started_at).total_seconds()
            samples.append(CpuSample(info.id, percent, age))
        return samples
