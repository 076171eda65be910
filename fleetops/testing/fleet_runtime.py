"""``InMemoryFleetRuntime``: the one in-memory fake of the fleet port (``runbooks.ports.FleetControl``).

Each service of the environment is a ``FakeFleet`` (``fleetops.testing.fake_fleet``) seeded
with its desired count at ``initial_version``; a release is its version string. Rollouts are
real ``InstanceRefresh`` runs (the service's deploy and health settings from the fleet file),
timed by one ``FakeClock``, so a test makes a "bad release" with
``runtime.behave("orders", "v3", Behaviour(unhealthy_after_ms=5_000))`` and the rollout fails
its health gate exactly as it would on real instances. Idempotency by rollout id, fences and
one rollout at a time per service are the runtime's, as the real one's.

Rollouts run in one of two ways:

- By default (API and control tests), ``start_rollout`` runs the rollout to its end in virtual
  time (``FakeClock.run``) before it returns, so a test sees the terminal status at once and
  ``clock.now()`` tells how long it took.
- With ``loop`` (runbook tests: the engine's loop, on the engine's ``FakeClock(auto_advance=True)``)
  rollouts run concurrently in the background in engine time, so a wave's services roll out in
  parallel, a deployment is followed through Wait states, and a stop lands while a rollout is in
  flight. Handlers call the runtime from worker threads (the engine runs sync handlers in a
  thread); each call hands its work to the loop and waits for it, as the real runtime does
  across its own boundary.

With ``hold = True``, new rollouts stay Pending until ``run_held()`` starts them (so a test sees
a rollout in progress, or cancels it: a held rollout cancels to Cancelled).

    runtime = InMemoryFleetRuntime(load_fleet(path), "dev")
    runtime.behave("orders", "v3", Behaviour(unhealthy_after_ms=5000))
    view = runtime.start_rollout(RolloutRequest("exec-1:orders:3", "dev", "orders", "v3", 3))
    assert view.status == "RollbackSuccessful"
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from fleetops.clock import Clock
from fleetops.control.environments import Environments
from fleetops.errors import BadInput, Refused
from fleetops.ops.logfilter import compile_filter, in_window
from fleetops.ops.logquery import LogSource, QueryResult, run_query
from fleetops.providers.local.datastores import LocalDatastores
from fleetops.rollout import (
    OK,
    GroupInstance,
    InstanceRefresh,
    MillisecondClock,
    RefreshOptions,
    RefreshStatus,
)
from fleetops.runbooks.ports import (
    FENCED,
    OPERATOR_CAUSE,
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
from fleetops.testing.rotation_targets import FakeRotationTargets

T = TypeVar("T")


@dataclasses.dataclass
class _Rollout:
    request: RolloutRequest
    started_at: datetime
    refresh: InstanceRefresh | None = None
    """None while held, and for a fence."""
    fixed: RolloutView | None = None
    """The view of a rollout that never ran (held, or a fence)."""
    task: asyncio.Task[None] | None = None


class InMemoryFleetRuntime(FakeRotationTargets):
    """See the module docstring."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str = "dev",
        *,
        clock: Clock | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        behaviours: Mapping[str, Behaviour] | None = None,
        initial_version: str = "v1",
        keep_calls: bool = True,
    ) -> None:
        """``clock``: a ``FakeClock`` (the default), or, with ``loop``, any clock: the wall clock
        makes rollouts take real time (``fleetops bench orchestrator``). ``keep_calls``: whether
        the fake fleets record every port call (``FakeFleet.calls``; a long run turns it off)."""
        if environment not in fleet.environments:
            raise BadInput(f"unknown environment {environment!r}")
        self.fleet = fleet
        self.environment = environment
        self.clock: Clock = clock or FakeClock()
        self._ms = MillisecondClock(self.clock)
        self._loop = loop
        self._lock = threading.RLock()
        self.fleets: dict[str, FakeFleet] = {}
        self._groups: dict[str, list[GroupInstance]] = {}
        self.versions: dict[str, tuple[str, int]] = {}
        """Service -> the version and release number it should run (its last successful rollout's)."""
        self.desired: dict[str, int] = {}
        self.rollouts: dict[str, _Rollout] = {}
        self.started: list[RolloutRequest] = []
        """Every request that started (or held) a rollout, in order; not the idempotent repeats."""
        self.hold = False
        self.in_place_rollback = False
        """What ``rolls_back_in_place`` answers (True: as an aws Auto Scaling group)."""
        self.activities: list[ScalingActivity] = []
        """Scaling activities, newest first."""
        self.running = False
        """Whether ``start`` was called (and ``stop`` not since)."""
        self.secrets: frozenset[str] = frozenset()
        """The values ``secret_values`` answers (tests of redaction set them)."""
        self.endpoints: dict[str, str] = {name: f"memory://{name}" for name in fleet.services}
        """Each service's load balancer URL; a test points one at a local server for smoke gates."""
        self.datastores: LocalDatastores | None = None
        """Datastores a test runs for it (backups of them: SQLite files need no server)."""
        for name in fleet.services:
            service = fleet.service(name, environment)
            fake = FakeFleet(self._ms, behaviours, keep_calls=keep_calls)
            for alarm in fleet.alarms:  # OK unless a test sets otherwise (set_alarm)
                fake.set_alarm(alarm, OK)
            self.fleets[name] = fake
            self._groups[name] = fake.seed(initial_version, service.instances.desired)
            self.versions[name] = (initial_version, 0)
            self.desired[name] = service.instances.desired

    # -- test set-up -------------------------------------------------------------------------

    def behave(self, service: str, version: str, behaviour: Behaviour) -> None:
        """Instances of ``service`` at ``version`` behave as ``behaviour`` says."""
        self.fleets[service].behaviours[version] = behaviour

    def set_alarm(self, service: str, alarm: str, state: str, *, at: datetime | None = None) -> None:
        """Alarm ``alarm`` (watched by ``service``'s rollouts) is in ``state`` from ``at`` (now) on."""
        at_ms = round((at or self.clock.now()).timestamp() * 1000)
        self.fleets[service].set_alarm(alarm, state, at_ms=at_ms)

    def run_held(self) -> list[RolloutView]:
        """Start every held rollout, in the order they were started; their views."""
        with self._lock:
            held = [r for r in self.rollouts.values() if r.refresh is None and _is_held(r)]
            for rollout in held:
                rollout.fixed = None
                rollout.refresh = self._refresh(rollout.request)
        return [self._launch(rollout) for rollout in held]

    # -- the fleet port ----------------------------------------------------------------------

    def start(self) -> None:
        """Nothing to start in memory: marks the runtime running (as ``Environments`` starts it)."""
        self.running = True

    def stop(self) -> None:
        """Marks the runtime stopped."""
        self.running = False

    def start_rollout(self, request: RolloutRequest) -> RolloutView:
        """Start the rollout, or return the one with this ``rollout_id`` (idempotent); Refused
        while another rollout of the service runs."""
        self._check(request.environment, request.service)
        with self._lock:
            known = self.rollouts.get(request.rollout_id)
            if known is not None:
                return self._view(known)
            busy = [
                r.request.rollout_id
                for r in self.rollouts.values()
                if r.request.service == request.service
                and r.refresh is not None
                and not r.refresh.status.terminal
            ]
            if busy:
                raise Refused(f"service {request.service!r} has a rollout in progress: {busy[0]}")
            rollout = _Rollout(request, self.clock.now())
            self.rollouts[request.rollout_id] = rollout
            self.started.append(request)
            if self.hold:
                rollout.fixed = self._never_ran(request, "Pending")
                return rollout.fixed
            rollout.refresh = self._refresh(request)
        return self._launch(rollout)

    def describe_rollout(self, rollout_id: str) -> RolloutView:
        """The rollout now (or its fence); KeyError if unknown."""
        # Under the lock: start_rollout records a rollout before it has its refresh, and a
        # request thread (GET /deployments/{name}) may read it in between.
        with self._lock:
            return self._view(self.rollouts[rollout_id])

    def cancel_rollout(self, rollout_id: str) -> RolloutView:
        """Ask a running rollout to stop (it ends Cancelled once work in flight settles); a held
        one ends Cancelled at once; Refused once the rollout has ended."""
        rollout = self.rollouts[rollout_id]
        with self._lock:
            if _is_held(rollout):
                rollout.fixed = self._never_ran(rollout.request, "Cancelled")
                return rollout.fixed
        refresh = rollout.refresh
        if refresh is None or refresh.status.terminal:
            status = self._view(rollout).status
            raise Refused(f"rollout {rollout_id} is {status}; it cannot be cancelled")
        self._call(_run_sync(refresh.cancel))
        return self._view(rollout)

    def rollback_rollout(self, rollout_id: str) -> RolloutView:
        """Stop a running rollout and return what it replaced to the previous version; a held
        one ends RollbackSuccessful at once (nothing was replaced); Refused once it has ended."""
        rollout = self.rollouts[rollout_id]
        with self._lock:
            if _is_held(rollout):
                rollout.fixed = self._never_ran(rollout.request, "RollbackSuccessful")
                return rollout.fixed
        refresh = rollout.refresh
        if refresh is None or refresh.status.terminal:
            status = self._view(rollout).status
            raise Refused(f"rollout {rollout_id} is {status}; it cannot be rolled back")
        self._call(_run_sync(refresh.rollback))
        return self._view(rollout)

    def rolls_back_in_place(self, service: str) -> bool:
        """``in_place_rollback``: False as the local provider (a rollback cancels a running
        rollout first); a test sets True to be an aws Auto Scaling group."""
        self._check(self.environment, service)
        return self.in_place_rollback

    def fence_rollout(self, request: RolloutRequest) -> RolloutView:
        """The rollout with this id, or else a fence: Cancelled, and no rollout of the id ever starts."""
        self._check(request.environment, request.service)
        with self._lock:
            known = self.rollouts.get(request.rollout_id)
            if known is not None:
                return self._view(known)
            fence = dataclasses.replace(self._never_ran(request, "Cancelled"), status_reason=FENCED)
            self.rollouts[request.rollout_id] = _Rollout(request, fence.started_at, fixed=fence)
            return fence

    def current_versions(self) -> dict[str, str]:
        """Service -> the version most of its live, in-service instances run."""
        out = {}
        for name, fake in self.fleets.items():
            counts = Counter(i.release for i in fake.live() if not i.draining)
            out[name] = counts.most_common(1)[0][0] if counts else self.versions[name][0]
        return out

    def secret_values(self) -> frozenset[str]:
        """The values set in ``secrets``."""
        return self.secrets

    def endpoint(self, service: str) -> str:
        """The service's load balancer URL (``endpoints``; nothing listens at ``memory://``)."""
        return self.endpoints[service]

    def status(self) -> FleetStatus:
        """Every service, its fake instances all InService and healthy."""
        services = []
        for name, fake in self.fleets.items():
            spec = self.fleet.service(name, self.environment)
            version, release = self.versions[name]
            now = self.clock.now()
            instances = tuple(
                InstanceStatus(i.instance_id, i.release, "InService", "healthy", "", 0, now)
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

    def services_status(self) -> FleetStatus:
        """``status``: it has no datastores."""
        return self.status()

    def scale(self, service: str, desired: int, *, cause: str = OPERATOR_CAUSE) -> None:
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
                0,
                ScalingActivity(self.clock.now(), service, self.desired[service], desired, cause),
            )
        if desired > len(live):
            self._groups[service] += fake.seed(self.versions[service][0], desired - len(live))
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
        """The fake instances' log lines as records ``{"instance", "version", "msg"}``."""
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

    # -- internals ---------------------------------------------------------------------------

    def _refresh(self, request: RolloutRequest) -> InstanceRefresh:
        spec = self.fleet.service(request.service, self.environment)
        live = {i.instance_id for i in self.fleets[request.service].live() if not i.draining}
        previous = self.versions[request.service][0]
        return InstanceRefresh(
            port=self.fleets[request.service],
            clock=self._ms,
            instances=[i for i in self._groups[request.service] if i.instance_id in live],
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

    def _launch(self, rollout: _Rollout) -> RolloutView:
        if self._loop is None:
            self._virtual().run(self._run(rollout))
            return self._view(rollout)

        async def launch() -> None:
            rollout.task = asyncio.get_running_loop().create_task(self._run(rollout))

        self._call(launch())
        return self._view(rollout)

    async def _run(self, rollout: _Rollout) -> None:
        refresh, request = rollout.refresh, rollout.request
        assert refresh is not None
        try:
            status = await refresh.run()
        except Refused as err:  # refused to start (an alarm in ALARM): the rollout failed, as the real one
            refresh.status, refresh.status_reason = RefreshStatus.FAILED, err.message
            status = RefreshStatus.FAILED
        self._groups[request.service] = list(refresh.instances)
        if status is RefreshStatus.SUCCESSFUL:
            self.versions[request.service] = (request.version, request.release_number)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            return self._virtual().run(coroutine)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            coroutine.close()
            raise RuntimeError("call the runtime from a handler thread, not from the loop itself")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def _virtual(self) -> FakeClock:
        if not isinstance(self.clock, FakeClock):
            raise TypeError("without a loop, rollouts run in virtual time: give a FakeClock")
        return self.clock

    def _never_ran(self, request: RolloutRequest, status: str) -> RolloutView:
        now = self.clock.now()
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
            started_at=now,
            ended_at=None if status == "Pending" else now,
            failure=None,
        )

    def _view(self, rollout: _Rollout) -> RolloutView:
        if rollout.fixed is not None or rollout.refresh is None:
            assert rollout.fixed is not None
            return rollout.fixed
        refresh, request = rollout.refresh, rollout.request
        ended = None
        if refresh.status.terminal:
            ended = rollout.started_at if refresh.end_time is None else _at(refresh.end_time)
        return RolloutView(
            rollout_id=request.rollout_id,
            environment=request.environment,
            service=request.service,
            version=request.version,
            release_number=request.release_number,
            status=refresh.status.value,
            status_reason=refresh.status_reason,
            percentage_complete=refresh.percentage_complete,
            instances_to_update=refresh.instances_to_update,
            checkpoint=None if refresh.last_checkpoint is None else f"{refresh.last_checkpoint}%",
            started_at=rollout.started_at,
            ended_at=ended,
            failure=None if refresh.failure is None else refresh.failure.render(),
        )

    def _check(self, environment: str, service: str) -> None:
        if environment != self.environment:
            raise BadInput(f"this runtime runs environment {self.environment!r}, not {environment!r}")
        if service not in self.fleets:
            raise BadInput(f"unknown service {service!r} (known: {', '.join(self.fleets)})")


def _running(rollout: _Rollout) -> bool:
    return rollout.refresh is not None and not rollout.refresh.status.terminal


def _is_held(rollout: _Rollout) -> bool:
    return rollout.fixed is not None and rollout.fixed.status == "Pending"


async def _run_sync(function: Callable[[], None]) -> None:
    function()


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


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
