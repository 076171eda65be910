"""The control plane's parts, built from the server settings and wired together.

``compose`` opens (and migrates) the store, creates the first admin token if none exists, and
builds the :class:`SecretsVault` (every environment's secrets), the :class:`Environments`
running ``settings.fleet_file``, the one redaction of their secret values, the
:class:`ExecutionService` (with the handlers of ``settings.handlers`` and
``$FLEETOPS_HANDLERS``), the :class:`Deployments` that start the built-in runbooks, and the
:class:`OrchestratorMetrics` counting the executions' events (``fleetops/Deployments``).
``ControlPlane.running`` is the order they start and stop in: the environments start before the
executions (whose runbooks act on them) and stop after them. The HTTP side (``app.py``) only
exposes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.control import ExecutionService, load_handlers
from fleetops.control.alarm_runbooks import AlarmRunbooks
from fleetops.control.backup_scheduler import BackupScheduler
from fleetops.control.crash_drills import ControlPlaneProcess
from fleetops.control.deployments import Deployments
from fleetops.control.environments import Environments, Opener
from fleetops.control.handlers import handler_specs
from fleetops.control.heartbeats import HeartbeatWriter
from fleetops.control.held_tokens import HeldTaskTokens
from fleetops.control.orchestrator_metrics import OrchestratorMetrics
from fleetops.control.rotation_schedule import RotationSchedule
from fleetops.ops.maintenance_schedule import MaintenanceScheduler
from fleetops.ops.secrets.cipher import Cipher
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.redaction import Redactor, secret_redactor
from fleetops.server.auth import ensure_admin_token
from fleetops.server.fleet import open_environments
from fleetops.server.settings import ServerSettings, record_environments
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import AwsSettings
from fleetops.store import Store
from fleetops.tls import default_tls


@dataclass(frozen=True)
class ControlPlane:
    """The services one server process runs, over one store."""

    store: Store
    owns_store: bool
    """Whether the store was opened here (and is closed when the plane stops)."""
    environments: Environments
    redactor: Redactor
    """The redaction of the running environments' secret values that histories and API
    responses pass through."""
    executions: ExecutionService
    deployments: Deployments
    secrets: SecretsVault
    """Every environment's secret versions (values sealed with ``<state dir>/secrets.key``)."""
    orchestrator_metrics: OrchestratorMetrics
    """The ``fleetops/Deployments`` metrics, counted from the executions' events."""
    alarm_runbooks: AlarmRunbooks
    """Starts the runbooks alarms name; it needs the running event loop."""
    backup_scheduler: BackupScheduler
    """The fleet file's ``backup:`` schedules over the running environments' datastores."""
    schedule: RotationSchedule | None = None
    """Rotates secrets when their ``rotation.every`` makes them due (None: no fleet file)."""
    http: httpx.Client | None = None
    """The one client of the runbooks' smoke requests and webhooks: a new client each time
    cost 24 ms of CPU (its TLS context loads the CA bundle), a third of a deployment's CPU in
    ``fleetops bench orchestrator``. Closed when the plane stops."""
    clock: Clock = SYSTEM_CLOCK
    """What "now" is for the schedules here and for the app's requests (``app.state.clock``)."""

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Start the environments, then the executions, the maintenance schedules and the
        rotation schedule (tasks on this event loop); stop them in the reverse order."""
        try:
            await asyncio.to_thread(self.environments.start_all)
            await self.executions.start()
            self.alarm_runbooks.bind(loop=asyncio.get_running_loop())
            self.orchestrator_metrics.start()
            environments = self.environments
            scheduler = MaintenanceScheduler(
                self.store,
                self.clock,
                lambda: {} if environments.fleet is None else environments.fleet.notifications,
            )
            schedules = asyncio.create_task(scheduler.run(), name="maintenance-schedules")
            backups = asyncio.create_task(self.backup_scheduler.run(), name="backup-schedule")
            rotations = [] if self.schedule is None else [asyncio.create_task(self.schedule.run())]
            self.deployments.heartbeats.start()
            try:
                yield
            finally:
                self.deployments.heartbeats.stop()
                self.deployments.clients.stop_all()
                for task in (*rotations, backups, schedules):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                self.orchestrator_metrics.stop()
                await self.executions.close()
        finally:
            await asyncio.to_thread(self.environments.stop_all)
            if self.http is not None:
                self.http.close()
            if self.owns_store:
                self.store.close()


def compose(
    settings: ServerSettings,
    *,
    store: Store | None = None,
    opener: Opener | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> ControlPlane:
    """Build the control plane (see the module docstring); ``store``: share an open one;
    ``opener``: what builds the environments' runtimes (``open_environments``); ``clock``: the
    time of its schedules and requests."""
    owns_store = store is None
    opened = store or Store.open(settings.database_url, settings.state_dir)
    try:
        ensure_admin_token(opened, settings.state_dir)
        cipher = Cipher.from_state_dir(settings.state_dir)
        vault = SecretsVault(opened, cipher)
        runbooks = AlarmRunbooks(opened)
        envs = open_environments(settings, opened, vault, runbooks, opener=opener)
        # One redaction for everything the server stores or answers: the running environments'
        # secret values (read on each use: an environment added later is covered), URL passwords.
        redactor = secret_redactor(envs.secret_values)
        executions = ExecutionService(
            opened,
            # Stable across restarts on one state dir (serve() refuses a second live server
            # there), so a restarted server takes back its own executions without waiting
            # for their leases to run out.
            owner=f"{socket.gethostname()}:{settings.state_dir.resolve()}",
            lease_seconds=settings.lease_seconds,
            renew_seconds=settings.renew_seconds,
            redactor=redactor,
        )
        orchestrator = OrchestratorMetrics(opened, envs.names)
        executions.writer.observers.append(orchestrator.counts.observe)
        load_handlers(executions.registry, handler_specs(settings.handlers))
        http = httpx.Client(verify=default_tls())
        deployments = Deployments(
            executions,
            opened,
            envs,
            secret_value=vault.lookup,
            secrets=vault,
            heartbeats=HeartbeatWriter(envs, clock=clock),
            http=http,
            task_tokens=HeldTaskTokens(opened, cipher),
            process=ControlPlaneProcess(
                None if settings.fleet_file is None else settings.fleet_file.resolve(), clock.now()
            ),
            environments_changed=functools.partial(record_environments, settings.state_dir),
        )
        runbooks.bind(deployments=deployments, environments=envs)
        schedule = None
        if envs.fleet is not None:  # without a fleet the runbooks have nothing to act on
            deployments.register()
            schedule = rotation_schedule(opened, envs, deployments, clock)
    except BaseException:
        if owns_store:
            opened.close()
        raise

    scheduler = BackupScheduler(opened, envs, clock=clock)
    return ControlPlane(
        opened,
        owns_store,
        envs,
        redactor,
        executions,
        deployments,
        vault,
        orchestrator,
        runbooks,
        scheduler,
        schedule,
        http,
        clock,
    )


def rotation_schedule(
    store: Store, envs: Environments, deployments: Deployments, clock: Clock
) -> RotationSchedule:
    """The schedule of the running local environments' secrets (aws ones rotate in Secrets
    Manager), started as the ``schedule`` identity."""

    def running() -> list[tuple[str, Fleet]]:
        out = []
        for name in envs.names():
            runtime = envs.get(name)
            if runtime is not None and not isinstance(runtime.fleet.environments.get(name), AwsSettings):
                out.append((name, runtime.fleet))
        return out

    def start(environment: str, secret: str) -> object:
        return deployments.rotate(environment=environment, secret=secret, requested_by="schedule")

    return RotationSchedule(store, running, start, clock)
