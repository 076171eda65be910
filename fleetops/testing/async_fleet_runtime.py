"""A fleet runtime for runbook tests whose rollouts run concurrently, in the engine's time.

Unlike :class:`fleetops.testing.fleet_runtime.InMemoryFleetRuntime` (which runs a rollout to its
end inside ``start_rollout``, for API tests), rollouts here run in the background while the
engine goes on, so a test sees a wave's services roll out in parallel, a deployment followed
through Wait states, and a deployment stopped while a rollout is in flight.

Each service of the environment is a :class:`~fleetops.testing.fake_fleet.FakeFleet` seeded with
its desired instances on ``initial_version``; a release is its version string, so a test makes a
"bad release" with ``runtime.behave("orders", "v3", Behaviour(unhealthy_after_ms=5_000))`` and
the rollout fails its health gate exactly as it would on real instances. Rollouts are real
:class:`~fleetops.rollout.InstanceRefresh` runs, scheduled on the event loop the runtime was made
on and timed by the engine's clock, so with the engine's ``FakeClock(auto_advance=True)`` a whole
deployment (probes, warmups, bake times, Wait states) runs in virtual time.

Handlers call the runtime from worker threads (the engine runs sync handlers in a thread); every
method hands its work to the loop and waits for it, as the real runtime does across its own
boundary.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from fleetops.clock import Clock
from fleetops.errors import BadInput, Refused
from fleetops.rollout import OK, GroupInstance, InstanceRefresh, MillisecondClock, RefreshOptions
from fleetops.runbooks.ports import FENCED, RolloutRequest, RolloutView
from fleetops.spec.fleet import Fleet
from fleetops.spec.rollout_settings import health_check, milliseconds, refresh_preferences
from fleetops.testing.fake_fleet import Behaviour, FakeFleet

T = TypeVar("T")


class _Rollout:
    def __init__(self, request: RolloutRequest, refresh: InstanceRefresh, started_at: datetime) -> None:
        self.request = request
        self.refresh = refresh
        self.started_at = started_at
        self.error: str | None = None
        self.task: asyncio.Task[None] | None = None


class AsyncFleetRuntime:
    """The runbooks' view of a fleet runtime for one environment of ``fleet``, in memory."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str,
        clock: Clock,
        *,
        initial_version: str = "v1",
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if environment not in fleet.environments:
            raise BadInput(f"unknown environment {environment!r}")
        self.fleet = fleet
        self.environment = environment
        self.clock = clock
        self._ms = MillisecondClock(clock)
        self._loop = loop or asyncio.get_running_loop()
        self._lock = threading.Lock()
        self.fakes: dict[str, FakeFleet] = {}
        self.groups: dict[str, list[GroupInstance]] = {}
        self.rollouts: dict[str, _Rollout] = {}
        self.started: list[RolloutRequest] = []
        """Every rollout actually started, in order (not the idempotent repeats)."""
        self.fences: dict[str, RolloutView] = {}
        """Rollout ids fenced before a rollout with them started (``fence_rollout``)."""
        self.endpoints: dict[str, str] = {name: f"memory://{name}" for name in fleet.services}
        """Each service's load balancer URL; a test points one at a local server for smoke gates."""
        for name in fleet.services:
            service = fleet.service(name, environment)
            fake = FakeFleet(self._ms)
            for alarm in service.deploy.alarms:
                fake.set_alarm(alarm, OK)
            self.fakes[name] = fake
            self.groups[name] = fake.seed(initial_version, service.instances.desired)

    # -- test set-up -------------------------------------------------------------------------

    def behave(self, service: str, version: str, behaviour: Behaviour) -> None:
        """Instances of ``service`` at ``version`` behave as ``behaviour`` says."""
        self.fakes[service].behaviours[version] = behaviour

    def set_alarm(self, service: str, alarm: str, state: str, *, at: datetime | None = None) -> None:
        """Alarm ``alarm`` (watched by ``service``'s rollouts) is in ``state`` from ``at`` (now) on."""
        at_ms = round((at or self.clock.now()).timestamp() * 1000)
        self.fakes[service].set_alarm(alarm, state, at_ms=at_ms)

    # -- FleetRuntime ------------------------------------------------------------------------

    def start_rollout(self, request: RolloutRequest) -> RolloutView:
        """Start the rollout, or return the one with this ``rollout_id`` (idempotent)."""
        if request.environment != self.environment:
            raise BadInput(f"this runtime runs {self.environment!r}, not {request.environment!r}")
        if request.service not in self.fakes:
            raise BadInput(f"unknown service {request.service!r}")
        with self._lock:
            existing = self.rollouts.get(request.rollout_id)
            if existing is not None:
                return self._view(existing)
            if request.rollout_id in self.fences:
                return self.fences[request.rollout_id]
            busy = [
                r.request.rollout_id
                for r in self.rollouts.values()
                if r.request.service == request.service and not self._view(r).terminal
            ]
            if busy:
                raise Refused(f"service {request.service!r} has a rollout in progress: {busy[0]}")
            service = self.fleet.service(request.service, self.environment)
            refresh = InstanceRefresh(
                port=self.fakes[request.service],
                clock=self._ms,
                instances=self._group(request.service),
                target_release=request.version,
                preferences=request.preferences or refresh_preferences(service.deploy),
                health_check=health_check(service.health),
                options=RefreshOptions(
                    deregistration_delay_ms=milliseconds(service.deploy.deregistration_delay)
                ),
                refresh_id=request.rollout_id,
            )
            rollout = _Rollout(request, refresh, self.clock.now())
            self.rollouts[request.rollout_id] = rollout
            self.started.append(request)
        self._call(self._launch(rollout))
        return self._view(rollout)

    def describe_rollout(self, rollout_id: str) -> RolloutView:
        """The rollout now (or its fence); KeyError if unknown."""
        if rollout_id in self.fences:
            return self.fences[rollout_id]
        return self._view(self.rollouts[rollout_id])

    def fence_rollout(self, request: RolloutRequest) -> RolloutView:
        """The rollout with this id, or else a fence: Cancelled, and no rollout of the id ever starts."""
        with self._lock:
            existing = self.rollouts.get(request.rollout_id)
            if existing is not None:
                return self._view(existing)
            now = self.clock.now()
            fence = RolloutView(
                rollout_id=request.rollout_id,
                environment=request.environment,
                service=request.service,
                version=request.version,
                release_number=request.release_number,
                status="Cancelled",
                status_reason=FENCED,
                percentage_complete=0,
                instances_to_update=0,
                checkpoint=None,
                started_at=now,
                ended_at=now,
                failure=None,
            )
            return self.fences.setdefault(request.rollout_id, fence)

    def cancel_rollout(self, rollout_id: str) -> RolloutView:
        """Ask the rollout to stop (it ends Cancelled once work in flight settles)."""
        if rollout_id in self.fences:
            return self.fences[rollout_id]
        rollout = self.rollouts[rollout_id]
        if not self._view(rollout).terminal:

            async def cancel() -> None:
                if not rollout.refresh.status.terminal:
                    rollout.refresh.cancel()

            self._call(cancel())
        return self._view(rollout)

    def endpoint(self, service: str) -> str:
        """The service's load balancer URL (``endpoints``)."""
        return self.endpoints[service]

    def current_versions(self) -> dict[str, str]:
        """Service -> the version most of its live, in-service instances run."""
        out = {}
        for name, fake in self.fakes.items():
            counts = Counter(i.release for i in fake.live() if not i.draining)
            if counts:
                out[name] = counts.most_common(1)[0][0]
        return out

    # -- internals ---------------------------------------------------------------------------

    def _group(self, service: str) -> list[GroupInstance]:
        live = {i.instance_id for i in self.fakes[service].live() if not i.draining}
        return [
            GroupInstance(i.instance_id, i.release) for i in self.groups[service] if i.instance_id in live
        ]

    async def _launch(self, rollout: _Rollout) -> None:
        rollout.task = asyncio.get_running_loop().create_task(self._run(rollout))

    async def _run(self, rollout: _Rollout) -> None:
        try:
            await rollout.refresh.run()
        except Exception as err:  # refused to start (an alarm in ALARM): the rollout failed
            rollout.error = str(err)
        self.groups[rollout.request.service] = list(rollout.refresh.instances)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            raise RuntimeError("call the runtime from a handler thread, not from the loop itself")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def _view(self, rollout: _Rollout) -> RolloutView:
        refresh = rollout.refresh
        request = rollout.request
        ended: datetime | None
        if rollout.error is not None:
            status, reason, ended = "Failed", rollout.error, rollout.started_at
        else:
            status, reason = refresh.status.value, refresh.status_reason
            ended = None if refresh.end_time is None else _at(refresh.end_time)
        return RolloutView(
            rollout_id=request.rollout_id,
            environment=request.environment,
            service=request.service,
            version=request.version,
            release_number=request.release_number,
            status=status,
            status_reason=reason,
            percentage_complete=refresh.percentage_complete,
            instances_to_update=refresh.instances_to_update,
            checkpoint=None if refresh.last_checkpoint is None else f"{refresh.last_checkpoint}%",
            started_at=rollout.started_at,
            ended_at=ended,
            failure=None if refresh.failure is None else refresh.failure.render(),
        )


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
