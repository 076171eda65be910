"""``InMemoryFleetRuntime``: the ``FleetControl`` of ``FleetRuntime`` in memory, for runbook tests.

Each service is a ``FakeFleet`` (``fleetops.testing.fake_fleet``) seeded with its desired count
at ``initial_version``; all share one ``FakeClock``. ``start_rollout`` runs the instance refresh
(the real ``InstanceRefresh``, with the service's deploy and health settings from the fleet file)
to its end in virtual time before it returns, so a test sees the terminal status at once and
``clock.now()`` tells how long it took. ``behaviours`` make a version fail (``Behaviour``), so a
test can drive a rollback. Idempotency by rollout id is the runtime's. With ``hold = True``,
new rollouts stay Pending until ``run_held()`` runs them (so a test can see a rollout in
progress, or cancel it: a held rollout cancels to Cancelled).

    bad = {"v3": Behaviour(unhealthy_after_ms=5000)}
    runtime = InMemoryFleetRuntime(load_fleet(path), "dev", behaviours=bad)
    view = runtime.start_rollout(RolloutRequest("exec-1:orders:3", "dev", "orders", "v3", 3))
    assert view.status == "RollbackSuccessful"
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fleetops.control.environments import Environments
from fleetops.errors import BadInput, Refused
from fleetops.ops.logfilter import compile_filter, in_window
from fleetops.ops.logquery import LogSource, QueryResult, run_query
from fleetops.rollout import GroupInstance, InstanceRefresh, MillisecondClock, RefreshOptions
from fleetops.runbooks.ports import (
    FENCED,
    FleetControl,
    FleetStatus,
    InstanceStatus,
    RolloutRequest,
    RolloutView,
    ScalingActivity,
    ServiceStatus,
)
from fleetops.spec.fleet import Fleet
from fleetops.spec.rollout_settings import health_check, milliseconds, refresh_preferences
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fake_fleet import Behaviour, FakeFleet


class InMemoryFleetRuntime:
    """See the module docstring."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str = "dev",
        *,
        clock: FakeClock | None = None,
        behaviours: Mapping[str, Behaviour] | None = None,
        initial_version: str = "v1",
    ) -> None:
        self.fleet = fleet
        self.environment = environment
        self.clock = clock or FakeClock()
        self.fleets: dict[str, FakeFleet] = {}
        self.versions: dict[str, tuple[str, int]] = {}
        self.desired: dict[str, int] = {}
        self.rollout_views: dict[str, RolloutView] = {}
        self.requests: list[RolloutRequest] = []
        """Every request that started a rollout (not the idempotent repeats)."""
        self.hold = False
        self.activities: list[ScalingActivity] = []
        """Scaling activities, newest first."""
        self._held: dict[str, RolloutRequest] = {}
        self.running = False
        """Whether ``start`` was called (and ``stop`` not since)."""
        self.secrets: frozenset[str] = frozenset()
        """The values ``secret_values`` answers (tests of redaction set them)."""
        for name in fleet.services:
            service = fleet.service(name, environment)
            self.fleets[name] = FakeFleet(MillisecondClock(self.clock), behaviours)
            self.fleets[name].seed(initial_version, service.instances.desired)
            for alarm in fleet.alarms:  # OK unless a test sets otherwise (fake.set_alarm)
                self.fleets[name].set_alarm(alarm, "OK")
            self.versions[name] = (initial_version, 0)
            self.desired[name] = service.instances.desired

    def start(self) -> None:
        """Nothing to start in memory: marks the runtime running (as ``Environments`` starts it)."""
        self.running = True

    def stop(self) -> None:
        """Marks the runtime stopped."""
        self.running = False

    def start_rollout(self, request: RolloutRequest) -> RolloutView:
        """Run the rollout to its end in virtual time (idempotent by rollout id)."""
        self._check(request.environment, request.service)
        known = self.rollout_views.get(request.rollout_id)
        if known is not None:
            return known
        self.requests.append(request)
        if self.hold:
            self._held[request.rollout_id] = request
            view = self._pending_view(request, "Pending")
            self.rollout_views[request.rollout_id] = view
            return view
        return self._run(request)

    def run_held(self) -> list[RolloutView]:
        """Run every held rollout to its end, in the order they were started."""
        held, self._held = list(self._held.values()), {}
        return [self._run(request) for request in held]

    def _pending_view(self, request: RolloutRequest, status: str) -> RolloutView:
        return RolloutView(
            rollout_id=request.rollout_id,
            environment=request.environment,
            service=request.service,
            version=request.version,
            release_number=request.release_number,
            status=status,
            status_reason="",
            percentage_complete=0,
            instances_to_update=self.desired[request.service],
            checkpoint=None,
            started_at=self._now(),
            ended_at=None if status == "Pending" else self._now(),
            failure=None,
        )

    def _run(self, request: RolloutRequest) -> RolloutView:
        spec = self.fleet.service(request.service, self.environment)
        fake = self.fleets[request.service]
        previous = self.versions[request.service][0]
        refresh = InstanceRefresh(
            port=fake,
            clock=MillisecondClock(self.clock),
            instances=[GroupInstance(i.instance_id, i.release) for i in fake.live()],
            target_release=request.version,
            preferences=request.preferences or refresh_preferences(spec.deploy),
            health_check=health_check(spec.health),
            previous_release=previous if previous != request.version else None,
            options=RefreshOptions(
                deregistration_delay_ms=milliseconds(spec.deploy.deregistration_delay),
                failure_timeout_ms=60_000,
            ),
            refresh_id=request.rollout_id,
        )
        started = self._now()
        status = self.clock.run(refresh.run())
        if status.value == "Successful":
            self.versions[request.service] = (request.version, request.release_number)
        view = RolloutView(
            rollout_id=request.rollout_id,
            environment=request.environment,
            service=request.service,
            version=request.version,
            release_number=request.release_number,
            status=status.value,
            status_reason=refresh.status_reason,
            percentage_complete=refresh.percentage_complete,
            instances_to_update=refresh.instances_to_update,
            checkpoint=None if refresh.last_checkpoint is None else f"{refresh.last_checkpoint}%",
            started_at=started,
            ended_at=self._now(),
            failure=None if refresh.failure is None else refresh.failure.render(),
        )
        self.rollout_views[request.rollout_id] = view
        return view

    def describe_rollout(self, rollout_id: str) -> RolloutView:
        """The rollout; KeyError if unknown."""
        return self.rollout_views[rollout_id]

    def cancel_rollout(self, rollout_id: str) -> RolloutView:
        """A held rollout ends Cancelled; one that ran is Refused (KeyError if unknown)."""
        view = self.rollout_views[rollout_id]
        request = self._held.pop(rollout_id, None)
        if request is not None:
            view = self._pending_view(request, "Cancelled")
            self.rollout_views[rollout_id] = view
            return view
        raise Refused(f"rollout {rollout_id} is {view.status}; it cannot be cancelled")

    def rollback_rollout(self, rollout_id: str) -> RolloutView:
        """A held rollout ends RollbackSuccessful (nothing was replaced); one that ran is Refused."""
        view = self.rollout_views[rollout_id]
        request = self._held.pop(rollout_id, None)
        if request is not None:
            view = self._pending_view(request, "RollbackSuccessful")
            self.rollout_views[rollout_id] = view
            return view
        raise Refused(f"rollout {rollout_id} is {view.status}; it cannot be rolled back")

    def fence_rollout(self, request: RolloutRequest) -> RolloutView:
        """The rollout with this id, or else a fence: Cancelled, and no rollout of the id ever starts."""
        self._check(request.environment, request.service)
        known = self.rollout_views.get(request.rollout_id)
        if known is not None:
            return known
        fence = dataclasses.replace(self._pending_view(request, "Cancelled"), status_reason=FENCED)
        self.rollout_views[request.rollout_id] = fence
        return fence

    def current_versions(self) -> dict[str, str]:
        """Service -> the version most of its live instances run."""
        out = {}
        for name, fake in self.fleets.items():
            releases = [i.release for i in fake.live()]
            out[name] = max(set(releases), key=releases.count) if releases else self.versions[name][0]
        return out

    def secret_values(self) -> frozenset[str]:
        """The values set in ``secrets``."""
        return self.secrets

    def endpoint(self, service: str) -> str:
        """A URL naming the service (nothing listens there)."""
        return f"memory://{service}"

    def status(self) -> FleetStatus:
        """Every service, its fake instances all InService and healthy."""
        services = []
        for name, fake in self.fleets.items():
            spec = self.fleet.service(name, self.environment)
            version, release = self.versions[name]
            instances = tuple(
                InstanceStatus(i.instance_id, i.release, "InService", "healthy", "", 0, self._now())
                for i in fake.live()
            )
            services.append(
                ServiceStatus(
                    name=name,
                    endpoint=self.endpoint(name),
                    version=version,
                    release_number=release,
                    desired=self.desired[name],
                    min=spec.instances.min,
                    max=spec.instances.max,
                    instances=instances,
                )
            )
        return FleetStatus(fleet=self.fleet.name, environment=self.environment, services=tuple(services))

    def scale(self, service: str, desired: int) -> None:
        """Seed or terminate fake instances (BadInput outside min..max)."""
        self._check(self.environment, service)
        bounds = self.fleet.service(service, self.environment).instances
        if not bounds.min <= desired <= bounds.max:
            raise BadInput(
                f"desired count {desired} for {service!r} is outside its instances min..max "
                f"({bounds.min}..{bounds.max})"
            )
        fake = self.fleets[service]
        live = fake.live()
        if desired != self.desired[service]:
            self.activities.insert(
                0, ScalingActivity(self._now(), service, self.desired[service], desired, "set by an operator")
            )
        if desired > len(live):
            fake.seed(self.versions[service][0], desired - len(live))
        for instance in live[: max(len(live) - desired, 0)]:
            instance.terminated = True
        self.desired[service] = desired

    def logs(
        self,
        service: str,
        *,
        instance_id: str | None = None,
        limit: int = 100,
        pattern: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """The fake instances' log lines as records ``{"instance", "msg"}``."""
        self._check(self.environment, service)
        matches = compile_filter(pattern or "")
        records = [
            {"instance": i.instance_id, "version": i.release, "msg": line}
            for i in self.fleets[service].instances.values()
            if instance_id is None or i.instance_id == instance_id
            for line in i.logs
        ]
        window = in_window(start, end)
        return [r for r in records if matches(r) and window(r)][-limit:]

    def query_logs(
        self,
        query: str,
        *,
        services: Sequence[str] | None,
        platform: bool,
        start: datetime | None,
        end: datetime | None,
    ) -> QueryResult:
        """The query run by the real query engine over the fake instances' log lines, written as
        records ``{"instance", "version", "msg"}`` to one stream per instance."""
        names = list(self.fleets) if services is None else list(services)
        for name in names:
            self._check(self.environment, name)
        with tempfile.TemporaryDirectory() as folder:
            sources = []
            for name in names:
                for instance in self.fleets[name].instances.values():
                    path = Path(folder) / f"{instance.instance_id}.jsonl"
                    records = [
                        {"instance": instance.instance_id, "version": instance.release, "msg": line}
                        for line in instance.logs
                    ]
                    path.write_text("".join(json.dumps(record) + "\n" for record in records))
                    sources.append(LogSource(name, instance.instance_id, path))
            return run_query(query, sources, start=start, end=end)

    def scaling_activities(self, service: str | None = None) -> list[ScalingActivity]:
        """Operators' changes of desired counts, newest first."""
        return [a for a in self.activities if service is None or a.service == service]

    def _now(self) -> datetime:
        return self.clock.now()

    def _check(self, environment: str, service: str) -> None:
        if environment != self.environment:
            raise BadInput(f"this runtime runs environment {self.environment!r}, not {environment!r}")
        if service not in self.fleets:
            raise BadInput(f"unknown service {service!r} (known: {', '.join(self.fleets)})")


def in_memory_environments(fleet: Fleet, *running: str) -> Environments:
    """``Environments`` of ``fleet`` that open ``InMemoryFleetRuntime``s, with ``running`` started."""

    def opener(
        fleet: Fleet, environment: str, initial_version: str, _running: Sequence[FleetControl]
    ) -> InMemoryFleetRuntime:
        return InMemoryFleetRuntime(fleet, environment, initial_version=initial_version)

    environments = Environments(fleet, opener=opener)
    for name in running:
        environments.add(name, "v1")
    return environments
