"""``RolloutRunner``: the rollouts of one (fleet, environment), run on a loop thread of their own.

Rollouts run as ``fleetops.rollout.InstanceRefresh`` over ``ProviderPort``, on an asyncio loop
of their own in a background thread, so they neither block nor depend on the server's loop (the
runner also lends that loop to other background work of the runtime: ``submit``). Each is
persisted in the store's ``rollouts`` table as it progresses; a successful one makes its version
(and release) the service's current one. ``start_rollout`` is idempotent by rollout id: a known
id returns that rollout, running or finished, and an id the store knows as unfinished (the
control plane stopped during it) is started again with SkipMatching, so instances already on
the target are kept (``resume``, which ``FleetRuntime.start`` calls for every unfinished one).

While a rollout runs, the provider's own replacement of failed instances is suspended for its
service (``suspend_replacement``, like suspending the ReplaceUnhealthy process of an Auto Scaling
group): the refresh alone decides which instances to launch and terminate, so the provider does
not relaunch an instance the refresh discarded as unhealthy (at the old version, fighting the
refresh) nor replace one it is draining. When the rollout ends, replacement resumes and the
instances the service lacks of its desired count are launched (one that failed meanwhile was
not replaced).

Several servers may share one store: a cancel of a rollout another server runs is recorded in
the store (``rollouts.request_cancel``) and seen by that server when it next saves its progress.

It is a part of ``fleetops.control.fleet.FleetRuntime``, which checks the requests' service and
environment and calls it; it is not used on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from fleetops.clock import SystemClock
from fleetops.control.fleet_port import OTHER_PINS, ProviderPort
from fleetops.control.rollout_state import (
    RunningRollout,
    new_row,
    preferences_from_json,
    progress_of,
    row_view,
    status_of,
    view_of,
)
from fleetops.control.runtime_settings import RuntimeSettings
from fleetops.errors import BadInput, Refused
from fleetops.ops.alarms import AlarmMonitor
from fleetops.providers.base import SECRET_VERSIONS_ENV, InstanceState, ManagedProvider
from fleetops.rollout import (
    GroupInstance,
    InstanceRefresh,
    MillisecondClock,
    RefreshOptions,
    RefreshPreferences,
    RefreshStatus,
)
from fleetops.runbooks.ports import RolloutRequest, RolloutView
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import Service
from fleetops.spec.rollout_settings import health_check, milliseconds, refresh_preferences
from fleetops.store import Store
from fleetops.store.fleet_state import CANCELLABLE, RolloutRow, ServiceState

log = logging.getLogger(__name__)

T = TypeVar("T")
LIVE = (InstanceState.PENDING, InstanceState.IN_SERVICE)
"""Instance states a rollout counts as part of the group (and ``current_versions`` as live)."""


class RolloutRunner:
    """See the module docstring. Thread-safe: ``lock`` guards which rollouts run."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str,
        services: list[str],
        *,
        provider: ManagedProvider,
        store: Store,
        alarms: AlarmMonitor,
        settings: RuntimeSettings,
        service_state: Callable[[str], ServiceState],
    ) -> None:
        self.fleet = fleet
        self.environment = environment
        self.services = services
        self.provider = provider
        self.store = store
        self.alarms = alarms
        self.settings = settings
        self._service_state = service_state
        self.lock = threading.RLock()
        """Held while a rollout is started or ends; hold it to act on a service only while no
        rollout of it runs (``busy``), as ``FleetRuntime.set_desired`` does."""
        self._running: dict[str, RunningRollout] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ports: dict[str, ProviderPort] = {}
        # The rollout counts in milliseconds: the wall clock converted at its boundary.
        self._clock = MillisecondClock(SystemClock())

    # -- the loop thread ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop thread rollouts run on."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fleet-runtime", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Cancel every task on the loop (rollouts are left unfinished in the store: a restart
        resumes them), close the ports, and stop the loop thread."""
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(Exception):
            self._call(self._cancel_tasks(), timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        loop.close()
        self._loop = None

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Run ``coroutine`` on the loop thread (cancelled by ``stop``)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._require_loop())

    # -- rollouts -------------------------------------------------------------------------------

    def start_rollout(self, request: RolloutRequest) -> RolloutView:
        """Start replacing the service's instances with the request's version (idempotent by id)."""
        with self.lock:
            running = self._running.get(request.rollout_id)
            if running is not None:
                return view_of(running)
            row = self.store.rollouts.get(request.rollout_id)
            if row is not None:
                self._check_environment(row)
                if row.unfinished:
                    return self.resume(row)
                return row_view(row)
            # Before the insert: a runtime not started must record nothing (a Pending row would
            # be started by its next start() although the request was refused).
            self._require_loop()
            busy = self.busy(request.service)
            if busy is not None:
                raise Refused(
                    f"service {request.service!r} has rollout {busy!r} in progress; wait for it or cancel it"
                )
            state = self._service_state(request.service)
            preferences = request.preferences or refresh_preferences(self._service(request.service).deploy)
            now = datetime.now(UTC)
            row, created = self.store.rollouts.create(new_row(request, preferences, previous=state, now=now))
            if not created:  # a fence, or another server on this store, took the id meanwhile
                self._check_environment(row)
                return row_view(row)
            return self._launch(request, preferences, previous=state.version, started_at=now)

    def fence_rollout(self, request: RolloutRequest) -> RolloutView:
        """Record ``request.rollout_id`` Cancelled (``FENCED``) unless a rollout with it exists:
        see ``FleetRuntime.fence_rollout``. The existing rollout, or the fence."""
        with self.lock:
            running = self._running.get(request.rollout_id)
            if running is not None:
                return view_of(running)
            preferences = request.preferences or refresh_preferences(self._service(request.service).deploy)
            state, now = self._service_state(request.service), datetime.now(UTC)
            row, _ = self.store.rollouts.create(
                new_row(request, preferences, previous=state, now=now, fence=True)
            )
            # An existing row of another environment is left as it was (create changed nothing).
            self._check_environment(row)
            return row_view(row)

    def describe_rollout(self, rollout_id: str) -> RolloutView:
        """The rollout now; KeyError if unknown."""
        with self.lock:
            running = self._running.get(rollout_id)
            if running is not None:
                return view_of(running)
        row = self.store.rollouts.get(rollout_id)
        if row is None:
            raise KeyError(rollout_id)
        return row_view(row)

    def cancel_rollout(self, rollout_id: str) -> RolloutView:
        """Stop replacing instances (CancelInstanceRefresh): see ``FleetRuntime.cancel_rollout``."""
        with self.lock:
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

    def rollback_rollout(self, rollout_id: str) -> RolloutView:
        """Stop the running rollout and replace what it deployed with the previous version
        (RollbackInstanceRefresh): KeyError when it does not run here, Refused when it has no
        previous version or is already stopping."""
        with self.lock:
            running = self._running.get(rollout_id)
        if running is None:
            raise KeyError(rollout_id)
        self._call(_run_sync(running.refresh.rollback))
        return view_of(running)

    def wait_rollout(self, rollout_id: str, timeout: float) -> RolloutView:
        """Block until the rollout has ended (or ``timeout`` seconds passed); its view."""
        with self.lock:
            running = self._running.get(rollout_id)
        if running is not None and running.future is not None:
            with contextlib.suppress(TimeoutError):
                running.future.result(timeout=timeout)
        return self.describe_rollout(rollout_id)

    def busy(self, service: str) -> str | None:
        """The id of the rollout of ``service`` running here, if any."""
        with self.lock:
            return next((rid for rid, r in self._running.items() if r.request.service == service), None)

    def running_by_service(self) -> dict[str, str]:
        """Service -> the id of its rollout running here."""
        return {r.request.service: rid for rid, r in list(self._running.items())}

    def resume(self, row: RolloutRow) -> RolloutView:
        """Start an unfinished rollout again after a restart: an InProgress one goes on toward its
        version, a RollbackInProgress one goes on toward the previous version (AWS rollback
        semantics: no checkpoints, bake or alarms), a Cancelling one ends Cancelled; instances
        already on the version sought are kept (SkipMatching)."""
        self._check_environment(row)
        with self.lock:
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
            previous = row.previous_version or self._service_state(row.service).version
            if rollback:
                return self._launch(
                    request,
                    preferences,
                    previous=row.version,
                    started_at=row.started_at,
                    rollback_to=previous,
                )
            return self._launch(request, preferences, previous=previous, started_at=row.started_at)

    # -- internals ------------------------------------------------------------------------------

    def _check_environment(self, row: RolloutRow) -> None:
        # Rollout ids are unique across environments in a shared store: one of another
        # environment must not be resumed (or fenced) on this environment's provider.
        if row.environment != self.environment:
            raise BadInput(
                f"rollout {row.rollout_id!r} belongs to environment {row.environment!r}, "
                f"not {self.environment!r}: choose another rollout id"
            )

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
        live = [i for i in self.provider.instances(request.service) if i.state in LIVE]
        port = self._port(request.service)
        port.launch_env = self._release_env(request.service, request.release_number)
        instances = [
            GroupInstance(i.id, self._member_release(i.id, i.version, port.launch_env)) for i in live
        ]
        refresh = InstanceRefresh(
            port=port,
            clock=self._clock,
            instances=instances,
            target_release=target,
            preferences=preferences,
            health_check=health_check(spec.health),
            previous_release=previous if previous != target else None,
            options=RefreshOptions(
                deregistration_delay_ms=milliseconds(spec.deploy.deregistration_delay),
                failure_timeout_ms=round(self.settings.failure_timeout_s * 1000),
                alarm_poll_interval_ms=round(self.settings.alarm_poll_s * 1000),
            ),
            refresh_id=request.rollout_id,
            # The saved desired count, not the instances found: a rollout resumed after a
            # restart may find one more or one less (a batch cut short), which it settles first.
            desired=self._service_state(request.service).desired,
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
            await asyncio.to_thread(self._end, request)
        except asyncio.CancelledError:
            saver.cancel()
            raise
        finally:
            self._end(request, refill=False)

    def _end(self, request: RolloutRequest, *, refill: bool = True) -> None:
        """Forget the rollout; once no rollout of its service runs, resume the provider's
        replacement and (``refill``: the rollout ended, the runtime is not stopping) launch what
        the service lacks of its desired count. An instance that failed while replacement was
        suspended was not replaced, and the refresh follows only the instances it launched (not
        those it kept as already on the target, as a resumed rollout keeps the ones it finds): an
        Auto Scaling group whose processes resume also launches up to its desired capacity."""
        with self.lock:
            self._running.pop(request.rollout_id, None)
            if self.busy(request.service) is not None:
                return
            self.provider.suspend_replacement(request.service, False)
            if not refill:
                return
            state = self._service_state(request.service)
            live = sum(1 for i in self.provider.instances(request.service) if i.state in LIVE)
            if live < state.desired:
                log.info(
                    "rollout %s ended with %s of %s instances of %s: launching the missing ones",
                    request.rollout_id, live, state.desired, request.service,
                )  # fmt: skip
                self.provider.scale(
                    request.service,
                    state.desired,
                    version=state.version,
                    env=self._release_env(request.service, state.release_number),
                )

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
            try:
                asked = await asyncio.to_thread(self._save_progress, running)
            except Exception:
                # A database hiccup must not end the saver: it is also how a cancel asked on
                # another server reaches this rollout. The next save carries the progress.
                log.exception(
                    "saving the progress of rollout %s failed; trying again in %ss",
                    running.request.rollout_id,
                    self.settings.save_interval_s,
                )
                asked = False
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

    def _member_release(self, instance_id: str, version: str, launch_env: Mapping[str, str]) -> str:
        """What the refresh compares with its target to tell an instance already replaced (kept
        by SkipMatching on resume): its version, unless it was started with other secret pins
        than the rollout's (a rotation's redeploy keeps the version and changes the pins)."""
        wanted = launch_env.get(SECRET_VERSIONS_ENV)
        launched = getattr(self.provider, "launch_env", None)
        if wanted is None or launched is None:
            return version
        try:
            pins = launched(instance_id).get(SECRET_VERSIONS_ENV)
        except KeyError:
            return version
        return version if pins == wanted else f"{version}{OTHER_PINS}"

    def _release_env(self, service: str, number: int) -> dict[str, str]:
        """What instances of release ``number`` are launched with: the secret versions it pins
        (the provider hands out a pinned version while it is valid, else AWSCURRENT)."""
        release = self.store.releases.get(self.environment, service, number)
        if release is None or not release.secret_versions:
            return {}
        return {SECRET_VERSIONS_ENV: json.dumps(dict(sorted(release.secret_versions.items())))}

    def _service(self, name: str) -> Service:
        return self.fleet.service(name, self.environment)

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise Refused("the fleet runtime is not started")
        return self._loop

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return self.submit(coroutine).result(timeout)


async def _run_sync(function: Any) -> Any:
    # InstanceRefresh.cancel touches asyncio objects: it must run on the rollout loop.
    return function()
