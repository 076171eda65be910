"""``FleetRuntime``: the provider of one (fleet, environment) inside the control plane.

It owns the provider: ``start()`` starts it and brings every service to its desired state (its
desired count, at its current release's version, both kept in the store's ``service_state``;
on first start the version ``up`` was given, recorded as the service's first release and
verified once the service is healthy at it: ``fleetops.control.initial_releases``), ``stop()``
stops every process it started.

Rollouts run as ``fleetops.rollout.InstanceRefresh`` over ``ProviderPort``, on an asyncio loop
of their own in a background thread, so they neither block nor depend on the server's loop.
Each is persisted in the store's ``rollouts`` table as it progresses; a successful one makes its
version (and release) the service's current one. ``start_rollout`` is idempotent by rollout id:
a known id returns that rollout, running or finished, and an id the store knows as unfinished
(the control plane stopped during it) is started again with SkipMatching, so instances already
on the target are kept. ``start()`` restarts every unfinished rollout the same way.

While a rollout runs, the provider's own replacement of failed instances is suspended for its
service (``suspend_replacement``, like suspending the ReplaceUnhealthy process of an Auto Scaling
group): the refresh alone decides which instances to launch and terminate, so the provider does
not relaunch an instance the refresh discarded as unhealthy (at the old version, fighting the
refresh) nor replace one it is draining. Autoscaling leaves a service alone during its rollout,
and ``scale`` refuses it.

It owns the environment's ``AlarmMonitor`` (``alarms``): the fleet file's alarms evaluated on
the provider's metrics, which rollouts' alarm gates read through ``ProviderPort.alarm_states``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from fleetops.control.autoscaler import Autoscaler
from fleetops.control.fleet_port import ManagedProvider, ProviderPort
from fleetops.control.initial_releases import pin_initial, verify_ready, verify_when_ready
from fleetops.control.rollout_state import (
    RunningRollout,
    new_row,
    preferences_from_json,
    progress_of,
    row_view,
    status_of,
    view_of,
)
from fleetops.control.rollouts import (
    FleetStatus,
    InstanceStatus,
    RolloutRequest,
    RolloutView,
    ScalingActivity,
    ServiceStatus,
)
from fleetops.errors import BadInput, Refused
from fleetops.ops.alarms import AlarmActions, AlarmMonitor, local_metrics
from fleetops.ops.logfilter import compile_filter
from fleetops.providers.base import InstanceState
from fleetops.rollout import (
    GroupInstance,
    InstanceRefresh,
    RefreshPreferences,
    RefreshStatus,
    SystemClock,
)
from fleetops.spec.graph import waves
from fleetops.spec.models import Fleet, Service
from fleetops.spec.rollout_settings import health_check, milliseconds, refresh_preferences
from fleetops.store import Store
from fleetops.store.fleet_state import CANCELLABLE, RolloutRow, ServiceState

T = TypeVar("T")
_LIVE = (InstanceState.PENDING, InstanceState.IN_SERVICE)


@dataclass(frozen=True)
class RuntimeSettings:
    """Timings of the runtime (defaults suit the local sandbox)."""

    failure_timeout_s: float = 120.0
    """How long a rollout retries instances that fail health before it fails (AWS: one hour)."""
    launch_timeout_s: float = 30.0
    """How long a launch waits for the instance to be InService before the probes judge it."""
    alarm_poll_s: float = 1.0
    """How often a rollout reads its alarms (in-process and cheap here; AWS: every 10 s or more)."""
    save_interval_s: float = 0.5
    """How often a running rollout's progress is written to the store."""
    scale_interval_s: float = 5.0
    """How often autoscaling samples CPU and decides."""


class FleetRuntime:
    """See the module docstring. Thread-safe: the server calls it from its worker threads."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str,
        *,
        provider: ManagedProvider,
        store: Store,
        initial_version: str = "v1",
        settings: RuntimeSettings | None = None,
    ) -> None:
        if environment not in fleet.environments:
            known = ", ".join(sorted(fleet.environments))
            raise BadInput(f"unknown environment {environment!r} in the fleet file (known: {known})")
        self.fleet = fleet
        self.environment = environment
        self.provider = provider
        self.store = store
        self.initial_version = initial_version
        self.settings = settings or RuntimeSettings()
        self.services = [name for name in fleet.services if fleet.service(name, environment).run is not None]
        self._lock = threading.RLock()
        self._running: dict[str, RunningRollout] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ports: dict[str, ProviderPort] = {}
        self._clock = SystemClock()
        self.autoscaler = Autoscaler(self, interval_s=self.settings.scale_interval_s)
        self.alarms = AlarmMonitor(
            fleet,
            environment,
            self.services,
            metrics=local_metrics(provider, self.services),
            on_change=AlarmActions(store, fleet, environment),
        )
        self._started = False

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the provider and the rollout loop, bring every service to its desired state,
        start unfinished rollouts again, and start autoscaling."""
        if self._started:
            return
        self._started = True
        self.provider.start()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fleet-runtime", daemon=True)
        self._thread.start()
        states = self.store.service_state.all(self.environment)
        order = [name for wave in waves(self._dependencies()) for name in wave if name in self.services]
        for name in order:
            state = states.get(name)
            if state is None:
                desired = self.fleet.service(name, self.environment).instances.desired
                state = self.store.service_state.save(
                    self.environment, name, version=self.initial_version, desired=desired
                )
            self.provider.scale(name, state.desired, version=state.version)
            pin_initial(self.store, self.fleet, self.environment, name, state.version)
        self.alarms.start()
        for row in self.store.rollouts.list(self.environment, unfinished=True, limit=1000):
            self._resume(row)
        self._initial_pending = True
        asyncio.run_coroutine_threadsafe(verify_when_ready(self._verify_initial), self._loop)
        self.autoscaler.start()

    def stop(self) -> None:
        """Stop autoscaling and the rollouts (left unfinished in the store: a restart resumes
        them), then the provider and every process it started. Idempotent."""
        if not self._started:
            return
        self._started = False
        self.autoscaler.stop()
        self.alarms.stop()
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(Exception):
                self._call(self._cancel_tasks(), timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            loop.close()
            self._loop = None
        self.provider.stop()

    # -- rollouts -------------------------------------------------------------------------------

    def start_rollout(self, request: RolloutRequest) -> RolloutView:
        """Start replacing the service's instances with the request's version (idempotent by id)."""
        self._check_service(request.environment, request.service)
        with self._lock:
            running = self._running.get(request.rollout_id)
            if running is not None:
                return view_of(running)
            row = self.store.rollouts.get(request.rollout_id)
            if row is not None:
                if row.unfinished:
                    return self._resume(row)
                return row_view(row)
            busy = self._busy(request.service)
            if busy is not None:
                raise Refused(
                    f"service {request.service!r} has rollout {busy!r} in progress; wait for it or cancel it"
                )
            state = self._state(request.service)
            preferences = request.preferences or refresh_preferences(self._service(request.service).deploy)
            now = datetime.now(UTC)
            row, created = self.store.rollouts.create(new_row(request, preferences, previous=state, now=now))
            if not created:  # a fence, or another server on this store, took the id meanwhile
                return row_view(row)
            return self._launch(request, preferences, previous=state.version, started_at=now)

    def fence_rollout(self, request: RolloutRequest) -> RolloutView:
        """Make sure no rollout with ``request.rollout_id`` starts from now on: unless one exists,
        record the id Cancelled (``FENCED``) without launching anything. The record is in the
        store, whose insert is the one place a start and a fence of an id meet, so the fence
        holds for every server on this store and after a restart. The existing rollout, or the fence."""
        self._check_service(request.environment, request.service)
        with self._lock:
            running = self._running.get(request.rollout_id)
            if running is not None:
                return view_of(running)
            preferences = request.preferences or refresh_preferences(self._service(request.service).deploy)
            state, now = self._state(request.service), datetime.now(UTC)
            row, _ = self.store.rollouts.create(
                new_row(request, preferences, previous=state, now=now, fence=True)
            )
            return row_view(row)

    def describe_rollout(self, rollout_id: str) -> RolloutView:
        """The rollout now; KeyError if unknown."""
        with self._lock:
            running = self._running.get(rollout_id)
            if running is not None:
                return view_of(running)
        row = self.store.rollouts.get(rollout_id)
        if row is None:
            raise KeyError(rollout_id)
        return row_view(row)

    def cancel_rollout(self, rollout_id: str) -> RolloutView:
        """Stop replacing instances (CancelInstanceRefresh); Refused once it has ended. A rollout
        not running here (another server on this store runs it) is asked to cancel in the store:
        the server running it cancels it when it next saves its progress, or when it resumes it."""
        with self._lock:
            running = self._running.get(rollout_id)
        if running is None:
            row = self.store.rollouts.request_cancel(rollout_id)
            if row is None:
                raise KeyError(rollout_id)
            if not row.cancel_pending and row.status != RefreshStatus.CANCELLING.value:
                raise Refused(f"rollout {rollout_id} is {row.status}; it cannot be cancelled")
            return row_view(row)
        self._call(_run_sync(running.refresh.cancel))
        return view_of(running)

    def rollouts(self, limit: int = 50) -> list[RolloutView]:
        """Rollouts of this environment, newest first."""
        return [
            self.describe_rollout(row.rollout_id)
            for row in self.store.rollouts.list(self.environment, limit=limit)
        ]

    def wait_rollout(self, rollout_id: str, timeout: float) -> RolloutView:
        """Block until the rollout has ended (or ``timeout`` seconds passed); its view."""
        with self._lock:
            running = self._running.get(rollout_id)
        if running is not None and running.future is not None:
            with contextlib.suppress(TimeoutError):
                running.future.result(timeout=timeout)
        return self.describe_rollout(rollout_id)

    # -- fleet ----------------------------------------------------------------------------------

    def current_versions(self) -> dict[str, str]:
        """Service -> the version its live instances run (the most common one while mixed,
        the desired one when it has none)."""
        out = {}
        for name in self.services:
            counts = Counter(i.version for i in self.provider.instances(name) if i.state in _LIVE)
            out[name] = counts.most_common(1)[0][0] if counts else self._state(name).version
        return out

    def endpoint(self, service: str) -> str:
        """The URL of the service's load balancer."""
        return self.provider.endpoint(service)

    def status(self) -> FleetStatus:
        """Every service: desired state, instances, versions, health, load-balancer endpoint."""
        states = self.store.service_state.all(self.environment)
        running = {r.request.service: rid for rid, r in list(self._running.items())}
        cpu = self.autoscaler.last_cpu
        services = []
        for name in self.services:
            spec = self._service(name)
            state = states.get(name)
            instances = tuple(
                InstanceStatus(
                    id=i.id,
                    version=i.version,
                    state=str(i.state),
                    health=str(i.health),
                    health_reason=i.health_reason,
                    port=i.port,
                    started_at=i.started_at,
                    cpu_percent=cpu.get(i.id),
                )
                for i in self.provider.instances(name)
            )
            services.append(
                ServiceStatus(
                    name=name,
                    endpoint=self.provider.endpoint(name),
                    version=state.version if state else self.initial_version,
                    release_number=state.release_number if state else 0,
                    desired=state.desired if state else spec.instances.desired,
                    min=spec.instances.min,
                    max=spec.instances.max,
                    instances=instances,
                    rollout=running.get(name),
                )
            )
        status = FleetStatus(fleet=self.fleet.name, environment=self.environment, services=tuple(services))
        if self._initial_pending:  # verified when first seen ready, so `up` returns with it verified
            self._initial_pending = bool(verify_ready(self.store, self.environment, status))
        return status

    def _verify_initial(self) -> bool:
        """Look at the fleet (verifying initial releases now ready); whether some still wait."""
        self.status()
        return self._initial_pending

    def scale(self, service: str, desired: int) -> None:
        """Set the service's desired count (BadInput outside min..max; Refused during a rollout)."""
        self._check_service(self.environment, service)
        bounds = self._service(service).instances
        if not bounds.min <= desired <= bounds.max:
            raise BadInput(
                f"desired count {desired} for {service!r} is outside its instances min..max "
                f"({bounds.min}..{bounds.max})"
            )
        before = self._state(service).desired
        self.set_desired(service, desired)
        if before != desired:
            self.autoscaler.note_manual_change(service, before, desired)

    def scaling_activities(self, service: str | None = None) -> list[ScalingActivity]:
        """Changes of desired counts since start (autoscaling and operators), newest first."""
        return [a for a in reversed(self.autoscaler.events) if service is None or a.service == service]

    def set_desired(self, service: str, desired: int) -> None:
        """Save and apply a desired count (no bounds check: the autoscaler has done it)."""
        with self._lock:
            busy = self._busy(service)
            if busy is not None:
                raise Refused(f"service {service!r} has rollout {busy!r} in progress; scale it afterwards")
            state = self.store.service_state.save(self.environment, service, desired=desired)
            self.provider.scale(service, desired, version=state.version)

    def rolling(self, service: str) -> bool:
        """Whether a rollout of ``service`` is running."""
        with self._lock:
            return self._busy(service) is not None

    def logs(
        self,
        service: str,
        *,
        instance_id: str | None = None,
        limit: int = 100,
        pattern: str | None = None,
    ) -> list[dict[str, Any]]:
        """The last ``limit`` log records of a service (or one instance) matching ``pattern``
        (a CloudWatch Logs filter pattern, see ``fleetops.ops.logfilter``), oldest first."""
        self._check_service(self.environment, service)
        if pattern is None or not pattern.strip():
            return [dict(r) for r in self.provider.logs(service, instance_id=instance_id, limit=limit)]
        matches = compile_filter(pattern)
        records = self.provider.logs(service, instance_id=instance_id, limit=max(limit * 20, 2000))
        return [dict(record) for record in records if matches(record)][-limit:]

    # -- internals ------------------------------------------------------------------------------

    def _resume(self, row: RolloutRow) -> RolloutView:
        """Start an unfinished rollout again after a restart: an InProgress one goes on toward its
        version, a RollbackInProgress one goes on toward the previous version (AWS rollback
        semantics: no checkpoints, bake or alarms), a Cancelling one ends Cancelled; instances
        already on the version sought are kept (SkipMatching)."""
        with self._lock:
            running = self._running.get(row.rollout_id)
            if running is not None:
                return view_of(running)
            now = datetime.now(UTC)
            cancelling = row.status == RefreshStatus.CANCELLING.value or row.cancel_pending
            if row.service not in self.services or cancelling:
                gone = row.service not in self.services
                status = RefreshStatus.FAILED if gone else RefreshStatus.CANCELLED
                reason = (
                    f"Service {row.service!r} is no longer in the fleet file."
                    if gone
                    else "Cancelled: the control plane restarted while cancelling."
                )
                self.store.rollouts.update(
                    row.rollout_id, status=status.value, status_reason=reason, ended_at=now
                )
                found = self.store.rollouts.get(row.rollout_id)
                assert found is not None
                return row_view(found)
            preferences = replace(preferences_from_json(row.preferences), skip_matching=True)
            rollback = (
                row.status == RefreshStatus.ROLLBACK_IN_PROGRESS.value and row.previous_version is not None
            )
            if rollback:
                preferences = replace(
                    preferences,
                    checkpoint_percentages=(),
                    checkpoint_delay_ms=None,
                    bake_time_ms=0,
                    alarms=(),
                    auto_rollback=False,
                )
            request = RolloutRequest(
                rollout_id=row.rollout_id,
                environment=row.environment,
                service=row.service,
                version=row.version,
                release_number=row.release_number,
                preferences=preferences,
            )
            previous = row.previous_version or self._state(row.service).version
            if rollback:
                return self._launch(
                    request,
                    preferences,
                    previous=row.version,
                    started_at=row.started_at,
                    rollback_to=previous,
                )
            return self._launch(request, preferences, previous=previous, started_at=row.started_at)

    def _launch(
        self,
        request: RolloutRequest,
        preferences: RefreshPreferences,
        *,
        previous: str,
        started_at: datetime,
        rollback_to: str | None = None,
    ) -> RolloutView:
        # Before anything is recorded: a runtime not started must be left as it was.
        loop = self._require_loop()
        target = rollback_to or request.version
        spec = self._service(request.service)
        instances = [
            GroupInstance(i.id, i.version)
            for i in self.provider.instances(request.service)
            if i.state in _LIVE
        ]
        refresh = InstanceRefresh(
            port=self._port(request.service),
            clock=self._clock,
            instances=instances,
            target_release=target,
            preferences=preferences,
            health_check=health_check(spec.health),
            previous_release=previous if previous != target else None,
            deregistration_delay_ms=milliseconds(spec.deploy.deregistration_delay),
            failure_timeout_ms=round(self.settings.failure_timeout_s * 1000),
            alarm_poll_interval_ms=round(self.settings.alarm_poll_s * 1000),
            refresh_id=request.rollout_id,
        )
        running = RunningRollout(request, refresh, started_at, rollback=rollback_to is not None)
        self._running[request.rollout_id] = running
        self.provider.suspend_replacement(request.service, True)
        running.future = asyncio.run_coroutine_threadsafe(self._drive(running), loop)
        return view_of(running)

    async def _drive(self, running: RunningRollout) -> None:
        request, refresh = running.request, running.refresh
        saving = asyncio.Event()
        saver = asyncio.ensure_future(self._save_periodically(running, saving))
        try:
            try:
                status = await refresh.run()
            except Refused as err:
                refresh.status, refresh.status_reason = RefreshStatus.FAILED, err.message
                status = RefreshStatus.FAILED
            # Not cancelled: a save in flight in its thread would land after the final one and
            # put back a non-terminal status (seen as a rollout RollbackInProgress forever).
            saving.set()
            await asyncio.gather(saver, return_exceptions=True)
            ended = datetime.now(UTC)
            await asyncio.to_thread(self._finish, running, status, ended)
        except asyncio.CancelledError:
            saver.cancel()
            raise
        finally:
            with self._lock:
                self._running.pop(request.rollout_id, None)
                if self._busy(request.service) is None:
                    self.provider.suspend_replacement(request.service, False)

    def _finish(self, running: RunningRollout, status: RefreshStatus, ended: datetime) -> None:
        request = running.request
        if status is RefreshStatus.SUCCESSFUL and not running.rollback:
            self.store.service_state.save(
                self.environment,
                request.service,
                version=request.version,
                release_number=request.release_number,
            )
        self.store.rollouts.update(request.rollout_id, **progress_of(running), ended_at=ended)

    async def _save_periodically(self, running: RunningRollout, stop: asyncio.Event) -> None:
        while not stop.is_set():
            asked = await asyncio.to_thread(self._save_progress, running)
            # status_of: a resumed rollback reports RollbackInProgress, which a cancel leaves be.
            if asked and status_of(running) in CANCELLABLE:
                running.refresh.cancel()  # asked by a server that does not run it (cancel_rollout)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.save_interval_s)

    def _save_progress(self, running: RunningRollout) -> bool:
        """Save the rollout's progress; whether a cancel of it was asked in the store."""
        rollout_id = running.request.rollout_id
        self.store.rollouts.update(rollout_id, **progress_of(running))
        return self.store.rollouts.cancel_requested(rollout_id)

    async def _cancel_tasks(self) -> None:
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for port in self._ports.values():
            await port.close()

    def _port(self, service: str) -> ProviderPort:
        port = self._ports.get(service)
        if port is None:
            port = ProviderPort(
                self.provider,
                service,
                health_path=self._service(service).health.path,
                launch_timeout_s=self.settings.launch_timeout_s,
                alarms=self.alarms,
            )
            self._ports[service] = port
        return port

    def _busy(self, service: str) -> str | None:
        return next((rid for rid, r in self._running.items() if r.request.service == service), None)

    def _state(self, service: str) -> ServiceState:
        state = self.store.service_state.get(self.environment, service)
        if state is None:
            desired = self._service(service).instances.desired
            state = self.store.service_state.save(
                self.environment, service, version=self.initial_version, desired=desired
            )
        return state

    def _service(self, name: str) -> Service:
        return self.fleet.service(name, self.environment)

    def _dependencies(self) -> Mapping[str, list[str]]:
        return {name: list(self.fleet.services[name].depends_on) for name in self.fleet.services}

    def _check_service(self, environment: str, service: str) -> None:
        if environment != self.environment:
            raise BadInput(f"this control plane runs environment {self.environment!r}, not {environment!r}")
        if service not in self.services:
            known = ", ".join(self.services)
            raise BadInput(f"unknown service {service!r} in environment {environment!r} (known: {known})")

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise Refused("the fleet runtime is not started")
        return self._loop

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._require_loop()).result(timeout)


async def _run_sync(function: Any) -> Any:
    # InstanceRefresh.cancel touches asyncio objects: it must run on the rollout loop.
    return function()
