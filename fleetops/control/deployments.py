"""``Deployments``: the built-in runbooks run by the server's ExecutionService, on its fleet.

The server makes one at start (:func:`install`): the runbook handlers are registered on the
execution service's registry, bound to the store and the server's fleet runtime, and the
definitions are stored (on first use) as the state machines ``fleetops-deploy`` and ``fleetops-rollback``. The
API routes call it: start a deployment (refusing at once when the lock is held, maintenance is
on or a service is blocked, so the CLI can exit 3 without waiting), a rollback, a promotion;
approve or reject; stop; describe a deployment's progress per service.

Stop, and why it is not a Catch in the runbook: StopExecution aborts a Step Functions execution
at once (no state of it runs again, not even a Catch), and the engine is faithful to that. A
graceful stop is therefore two steps here: stop the execution, and start the rollback runbook
for that execution (``stopped_execution``), which takes its lock over (so no deployment slips in
between: ``store.locks.transfer``), cancels the rollouts
it left in flight and returns every service it touched to its last verified release. The same
definitions keep working on AWS Step Functions, where the same two calls do the same.

A handler's thread goes on after the stop (the engine cannot interrupt it): an initialize step
may take the lock or pin a release after the stop looked. So the stop first records the
execution as stopped (``store.stopped``), after which its lock and pins are refused in the store;
then what it holds is final. Stopped before its plan was recorded, it started no rollout: its
lock is given back and its pinned releases marked rolled back, with no rollback to run, so a new
deployment can start as soon as the stop returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from fleetops.clock import SYSTEM_CLOCK
from fleetops.control.aws_restores import AwsDatastoreControl
from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.control.backups import Backups
from fleetops.control.crash_drills import ChildDeploy, ControlPlaneProcess, LocalCrashControl
from fleetops.control.drill_reports import drill_runbook
from fleetops.control.drills import ChildRestore, LocalDrillControl
from fleetops.control.environments import Environments, NoFleet
from fleetops.control.failover_drills import EnvironmentsChanged, LocalFailoverControl
from fleetops.control.fleet import FleetRuntime
from fleetops.control.heartbeats import HeartbeatWriter
from fleetops.control.held_tokens import HeldTaskTokens
from fleetops.control.restores import LocalDatastoreControl
from fleetops.control.scratch_copies import LocalScratchCopy
from fleetops.control.service import ExecutionService
from fleetops.control.stepfunctions import StepFunctionsRunbooks, Target, orchestrated
from fleetops.engine import ExecutionStatus, HistoryEvent
from fleetops.errors import BadInput, FleetopsError, Forbidden, OperationFailed, Refused
from fleetops.ops.drills.steady_client import SteadyClients
from fleetops.ops.gates import check_change
from fleetops.ops.locks import refusal, release_lock
from fleetops.ops.releases import roll_back_pinned, rollback_target
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.providers.base import InstanceState
from fleetops.runbooks import RUNBOOKS, definition_text
from fleetops.runbooks.ports import (
    ChildDeployment,
    ChildRun,
    CrashDrillControl,
    DatastoreControl,
    DrillControl,
    FailoverControl,
    FleetControl,
    ScratchControl,
)
from fleetops.runbooks.wiring import (
    REJECTED,
    RunbookDeps,
    consumers,
    drill_plan,
    pending_approval_token,
    register_handlers,
    restore_plan,
    target_versions,
)
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.store.executions import RUNNING, ExecutionDoesNotExist, ExecutionRecord

CHILD_START_TIMEOUT_S = 600.0
"""How long a drill's step waits for its restore to start (a large backup's sha256 is checked first)."""
MACHINE_PREFIX = "fleetops-"
"""Built-in runbook ``deploy`` is the state machine ``fleetops-deploy``."""


_LIVE = (InstanceState.PENDING, InstanceState.IN_SERVICE)


def machine_name(runbook: str) -> str:
    """The state machine name of a built-in runbook."""
    return f"{MACHINE_PREFIX}{runbook}"


def new_name(operation: str, environment: str, now: datetime) -> str:
    """``deploy-dev-20261122T090000-3f2a``: sortable, unique, a valid execution name."""
    return f"{operation}-{environment}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class Started:
    """An execution a route started: its name and ARN."""

    name: str
    arn: str
    operation: str

    def to_json(self) -> dict[str, str]:
        """JSON-ready values."""
        return {"execution": self.name, "execution_arn": self.arn, "operation": self.operation}


class Deployments:
    """Starts, approves, stops and describes runbook executions (see the module docstring)."""

    def __init__(
        self,
        executions: ExecutionService,
        store: Store,
        runtime: Environments | FleetControl | None,
        fleet: Fleet | None = None,
        *,
        secret_value: Callable[[str, str], str | None] = lambda _environment, _name: None,
        secrets: SecretsVault | None = None,
        heartbeats: HeartbeatWriter | None = None,
        http: httpx.Client | None = None,
        task_tokens: HeldTaskTokens | None = None,
        process: ControlPlaneProcess | None = None,
        environments_changed: EnvironmentsChanged | None = None,
    ) -> None:
        """``runtime``: the server's environments, or one runtime of ``fleet`` (tests);
        ``secret_value(environment, name)``: a secret's current value, for notification channels;
        ``secrets``: the store the rotation runbook takes values from; ``heartbeats``: the
        datastores' heartbeat stamps the drills pause and read (default: one not started);
        ``http``: the client the runbooks' smoke requests and webhooks share (None: a new one
        each time); ``task_tokens``: where the approval gates of ``aws-stepfunctions``
        environments keep their task tokens (None: those gates cannot be answered here);
        ``process``: this control plane's process, which the control-plane-crash drill kills
        (None: that drill is refused); ``environments_changed``: told the running environments
        when the environment-failover drill stops its primary and starts its standby."""
        self.environments_changed = environments_changed or (lambda _names: None)
        self.http = http
        self.task_tokens = task_tokens
        self.process = process
        self.executions = executions
        self.store = store
        self.secret_value = secret_value
        self.secrets = secrets
        self.clients = SteadyClients(SYSTEM_CLOCK)
        """The drills' steady clients."""
        if isinstance(runtime, Environments):
            self.environments = runtime
        else:
            self.environments = Environments(fleet)
            if runtime is not None:
                self.environments.put(runtime)
        self.stepfunctions = StepFunctionsRunbooks(lambda: self.environments.fleet)
        """Where ``orchestrator: aws-stepfunctions`` environments' runbooks run."""
        self.heartbeats = heartbeats or HeartbeatWriter(self.environments, clock=SYSTEM_CLOCK)

    # -- wiring ----------------------------------------------------------------------------

    def fleet(self, environment: str) -> Fleet:
        """The fleet file ``environment``'s runtime runs (errors as :meth:`runtime_for`)."""
        return self.runtime_for(environment).fleet

    def _runbook_fleet(self, environment: str) -> Fleet:
        """:meth:`fleet` for the runbooks' handlers; for a primary that has a standby and does
        not run (an environment-failover drill stopped it), the server's fleet file: the drill
        goes on, and notifies, in the primary's name."""
        try:
            return self.fleet(environment)
        except NoFleet:
            fleet = self.environments.fleet
            if fleet is not None and any(e.standby_for == environment for e in fleet.environments.values()):
                return fleet
            raise

    def runtime_for(self, environment: str) -> FleetControl:
        """The runtime of ``environment``; ``NoFleet`` (exit 3) naming the running ones if it
        does not run here."""
        return self.environments.runtime_for(environment)

    def datastores(self, environment: str) -> DatastoreControl:
        """The datastores of running ``environment`` and the services using them (the restore
        runbook's port): the local sandbox's, or an aws environment's native snapshots;
        ``OperationFailed`` for a local environment that runs none."""
        runtime = self.runtime_for(environment)
        if isinstance(runtime, AwsFleetRuntime):
            return AwsDatastoreControl(runtime, Backups(self.store, self.environments))
        if not isinstance(runtime, FleetRuntime) or runtime.datastores is None:
            raise OperationFailed(f"environment {environment!r} runs no datastores on this machine")
        return LocalDatastoreControl(runtime, Backups(self.store, self.environments))

    def drills(self, environment: str) -> DrillControl:
        """The drill runbooks' port over running local ``environment``; ``OperationFailed``
        for an aws environment."""
        runtime = self.runtime_for(environment)
        if not isinstance(runtime, FleetRuntime):
            raise OperationFailed(
                f"environment {environment!r} does not run on this machine: drills of aws environments "
                "are not supported yet"
            )
        return LocalDrillControl(
            runtime,
            Backups(self.store, self.environments),
            heartbeats=self.heartbeats,
            clients=self.clients,
            start_restore=self._start_child_restore,
            read_run=self._child_run,
        )

    def failover_drills(self, primary: str, standby: str) -> FailoverControl:
        """The environment-failover drill's port over local ``primary`` and its ``standby``."""
        return LocalFailoverControl(
            self.environments,
            self.store,
            primary=primary,
            standby=standby,
            heartbeats=self.heartbeats,
            clients=self.clients,
            changed=self.environments_changed,
            vault=self.secrets,
        )

    def scratch_copies(self, environment: str) -> ScratchControl:
        """The scratch copy of local ``environment`` a datastore-loss drill destroys."""
        return LocalScratchCopy(self.environments, self.store, environment=environment, vault=self.secrets)

    def crash_drills(self, environment: str) -> CrashDrillControl:
        """The control-plane-crash drill's port over this process and running local
        ``environment``; ``OperationFailed`` where that drill cannot run (said why)."""
        runtime = self.runtime_for(environment)
        if not isinstance(runtime, FleetRuntime):
            raise OperationFailed(
                f"environment {environment!r} is on aws: control-plane-crash drills run on local "
                "environments only (the drill proves the deployment ends with every instance on one "
                "release by reading the local provider's instances, and its steady client and restart "
                "run on this machine; on aws an instance refresh in progress is AWS's, not this "
                "control plane's)"
            )
        if self.process is None:
            raise OperationFailed("this control plane was not started as a server: nothing could restart it")
        return LocalCrashControl(
            runtime, self.process, start_deploy=self._start_child_deploy, read_deploy=self._child_deployment
        )

    def _start_child_deploy(self, child: ChildDeploy) -> None:
        """Start the deploy runbook as execution ``child.name`` from a handler's thread (on the
        execution service's loop); nothing when it exists already (a retried step)."""
        try:
            self.executions.describe_execution(
                self.executions.engine.execution_arn(machine_name("deploy"), child.name)
            )
            return
        except ExecutionDoesNotExist:
            pass
        loop = self.executions.loop
        if loop is None:
            raise OperationFailed("the control plane is not running: no deployment can start")

        async def on_loop() -> None:
            self.deploy(
                environment=child.environment,
                version=child.version,
                services=child.services,
                requested_by=child.requested_by,
                name=child.name,
            )

        asyncio.run_coroutine_threadsafe(on_loop(), loop).result(timeout=CHILD_START_TIMEOUT_S)

    def _child_deployment(self, name: str, after: datetime | None) -> ChildDeployment:
        """A deployment a drill started: its status, the services in the middle of their
        rollout now, its first event after ``after``."""
        progress = self.progress(name)
        arn = self.execution_arn(name)
        record = self.executions.describe_execution(arn)
        resumed_at = None
        if after is not None:
            resumed_at = next(
                (e.timestamp for e in self.executions.history(arn) if e.timestamp > after), None
            )
        rolling = []
        # No services before its initialize step has made the plan (and named the environment).
        for item in progress["services"]:
            rollout = item.get("rollout") or {}
            if rollout.get("status") not in ("InProgress", "Baking"):
                continue
            runtime = self.runtime_for(str(progress["environment"]))
            live = runtime.provider.instances(item["service"]) if isinstance(runtime, FleetRuntime) else []
            # Its middle: an instance of the new version in service, one of the old still running.
            # (A kill between an instance's launch and its first healthy check leaves that
            # instance as an extra after the restart: the resumed rollout counts it in its group.)
            up = {i.version == item.get("version") for i in live if i.state in _LIVE}
            new_in_service = any(
                i.version == item.get("version") and i.state is InstanceState.IN_SERVICE for i in live
            )
            if new_in_service and False in up:
                rolling.append(str(item["service"]))
        return ChildDeployment(
            record.name, record.status, record.error, record.cause, rolling, resumed_at, record.stop_date
        )

    def _start_child_restore(self, child: ChildRestore) -> None:
        """Start the restore runbook as execution ``child.name`` from a handler's thread (on the
        execution service's loop); nothing when it exists already (a retried step)."""
        try:
            self.executions.describe_execution(
                self.executions.engine.execution_arn(machine_name("restore"), child.name)
            )
            return
        except ExecutionDoesNotExist:
            pass
        loop = self.executions.loop
        if loop is None:
            raise OperationFailed("the control plane is not running: no restore can start")

        async def on_loop() -> None:
            self.restore(
                datastore=child.datastore,
                backup_id=child.backup_id,
                environment=child.environment,
                requested_by=child.requested_by,
                name=child.name,
                poll_seconds=child.poll_seconds,
            )

        asyncio.run_coroutine_threadsafe(on_loop(), loop).result(timeout=CHILD_START_TIMEOUT_S)

    def _child_run(self, name: str) -> ChildRun:
        """A restore execution a drill started, with when its services were healthy again (its
        last health look that found them so)."""
        arn = self.execution_arn(name)
        record = self.executions.describe_execution(arn)
        healthy_at = None
        scheduled: dict[str, str] = {}
        for event in self.executions.history(arn):
            if event.type == "TaskScheduled":
                scheduled[event.scope] = str(event.details.get("resource"))
            elif (
                event.type == "TaskSucceeded"
                and scheduled.get(event.scope) == "restore-resume"
                and json.loads(event.details["output"]).get("done") is True
            ):
                healthy_at = event.timestamp
        return ChildRun(record.name, record.status, record.error, record.cause, healthy_at)

    def _deps(self) -> RunbookDeps:
        return RunbookDeps(
            store=self.store,
            fleet=self._runbook_fleet,
            runtime_for=self.runtime_for,
            secret_values=self.environments.secret_values,
            secret_value=self.secret_value,
            datastores=self.datastores,
            drills=self.drills,
            crash_drills=self.crash_drills,
            failover_drills=self.failover_drills,
            scratch_copies=self.scratch_copies,
            secrets=self.secrets,
            http=self.http,
        )

    def register(self) -> None:
        """Bind the runbook handlers to this server (before the execution service starts)."""
        deps = self._deps()
        register_handlers(self.executions.registry, deps)
        # StopExecution of a runbook's execution, by any route (the Step Functions endpoint
        # too), does what ``fleetops stop`` does.
        for runbook in RUNBOOKS:
            machine = self.executions.engine.state_machine_arn(machine_name(runbook))
            self.executions.stop_procedures[machine] = self._stop_procedure

    async def _stop_procedure(self, arn: str, by: str, error: str | None, cause: str | None) -> None:
        await self.stop(arn, by=by, error=error, cause=cause)

    # -- starting --------------------------------------------------------------------------

    def deploy(
        self,
        *,
        environment: str,
        version: str | None = None,
        versions: Mapping[str, str] | None = None,
        services: Sequence[str] = (),
        lock_wait_seconds: float | None = None,
        requested_by: str,
        operation: str = "deploy",
        promote_from: str | None = None,
        approval_timeout_seconds: int | None = None,
        name: str | None = None,
    ) -> Started:
        """Start a deployment; ``Refused`` at once when it could not take the lock or may not run.

        ``approval_timeout_seconds``: how long an ``approval: required`` environment's gate
        waits before the deployment fails (default: a day); ``name``: the execution's (default:
        a new one)."""
        fleet = self.fleet(environment)
        payload: dict[str, Any] = {
            "environment": environment,
            "version": version,
            "versions": dict(versions) if versions else None,
            "services": list(services) or None,
            "requested_by": requested_by,
            "lock_wait_seconds": lock_wait_seconds,
            "operation": operation,
            "promote_from": promote_from,
            "approval_timeout_seconds": approval_timeout_seconds,
        }
        chosen = target_versions(fleet, payload)
        # Refused at once when it would be refused now; the runbook checks again once it holds
        # the lock (a deployment that waits for it may meet a window declared meanwhile).
        check_change(
            self.store,
            environment,
            list(chosen),
            action=f"deployment to {environment!r}",
            check_lock=not lock_wait_seconds,
        )
        return self._start(
            "deploy", operation, environment, {k: v for k, v in payload.items() if v is not None}, name=name
        )

    def promote(
        self,
        *,
        source: str,
        target: str,
        services: Sequence[str] = (),
        requested_by: str,
        approval_timeout_seconds: int | None = None,
    ) -> Started:
        """Deploy to ``target`` exactly the releases verified in ``source``."""
        fleet = self.fleet(target)
        if source not in fleet.environments:
            raise BadInput(
                f"unknown environment {source!r} (the fleet has: {', '.join(sorted(fleet.environments))})"
            )
        names = list(services) or sorted(fleet.services)
        versions = {}
        missing = []
        for service in names:
            release = self.store.releases.last_verified(source, service)
            if release is None:
                missing.append(service)
            else:
                versions[service] = release.version
        if services and missing:
            raise BadInput(
                f"cannot promote from {source!r}: no verified release of {', '.join(missing)} there"
            )
        if not versions:
            raise BadInput(f"nothing to promote: no release is verified in {source!r}")
        return self.deploy(
            environment=target,
            versions=versions,
            requested_by=requested_by,
            operation="promote",
            promote_from=source,
            approval_timeout_seconds=approval_timeout_seconds,
        )

    def rollback(
        self,
        *,
        environment: str,
        services: Sequence[str] = (),
        requested_by: str,
        stopped_execution: str | None = None,
        to_release: int | None = None,
    ) -> Started:
        """Start the rollback runbook (named services, default all, to their last verified release;
        with ``to_release``, the one named service to that verified release)."""
        self.runtime_for(environment)
        payload: dict[str, Any] = {"environment": environment, "requested_by": requested_by}
        if services:
            payload["services"] = list(services)
        if to_release is not None:
            # Refused before anything starts; the runbook checks it again when it runs.
            if len(services) != 1:
                raise BadInput(
                    "--to-release needs exactly one service (--services NAME): "
                    "release numbers are per service"
                )
            rollback_target(self.store, environment, services[0], to_release)
            payload["to_release"] = to_release
        if stopped_execution:
            payload["stopped_execution"] = stopped_execution
        lock = self.store.locks.get(environment)
        now = SYSTEM_CLOCK.now()
        # A stopped execution's lock is kept for its rollback, which takes it over.
        if lock is not None and not lock.expired(now) and lock.owner != stopped_execution:
            raise Refused(refusal(lock, now))
        return self._start("rollback", "rollback", environment, payload)

    def restore(
        self,
        *,
        datastore: str,
        backup_id: str | None,
        environment: str | None,
        requested_by: str,
        dry_run: bool = False,
        name: str | None = None,
        poll_seconds: int | None = None,
        to_time: str | None = None,
    ) -> dict[str, Any]:
        """Start the restore runbook, of ``backup_id`` or (PostgreSQL) to ``to_time``
        (``dry_run``: only its plan, nothing changed). Refused at once (``BadInput``) for a
        backup that is damaged, missing or another datastore's, a time the base backups and the
        WAL archive cannot reach, and (``Refused``) while another holds the environment's lock.
        ``name``: the execution's (default: a new one); ``poll_seconds``: how often it looks at
        the paused and resumed services (default 2)."""
        env = self.environments.pick(environment).environment
        plan = restore_plan(self._deps(), env, datastore, backup_id, execution=None, to_time=to_time)
        if dry_run:
            return {"dry_run": True, **plan}
        lock = self.store.locks.get(env)
        now = SYSTEM_CLOCK.now()
        if lock is not None and not lock.expired(now):
            raise Refused(refusal(lock, now))
        payload: dict[str, Any] = {
            "environment": env,
            "datastore": datastore,
            "backup_id": backup_id,
            "requested_by": requested_by,
        }
        if poll_seconds is not None:
            payload["poll_seconds"] = poll_seconds
        if to_time is not None:
            # The plan's moment (UTC), so the runbook restores to what the caller was shown.
            payload |= {"backup_id": None, "to_time": plan["to_time"]}
        return self._start("restore", "restore", env, payload, name=name).to_json()

    def drill(
        self,
        *,
        scenario: str,
        environment: str | None,
        requested_by: str,
        datastore: str | None = None,
        service: str | None = None,
        count: int = 1,
        version: str | None = None,
        services: list[str] | None = None,
        standby: str | None = None,
        scratch: bool = False,
        baseline_seconds: int | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Start drill ``scenario`` (``dry_run``: only its plan). Refused at once (``BadInput``)
        without targets in the fleet file, for an unknown datastore or service, without a
        verified backup to restore; (``Refused``) while another holds the environment's lock."""
        env = self.environments.pick(environment).environment
        if orchestrated(self.environments.fleet, env):
            raise BadInput(
                f"environment {env!r} runs its runbooks on AWS Step Functions: drills run on the "
                "control plane's own engine only (not built for Step Functions yet)"
            )
        plan = drill_plan(
            self._deps(),
            env,
            scenario,
            datastore=datastore,
            service=service,
            count=count,
            version=version,
            services=services,
            standby=standby,
            scratch=scratch,
        )
        if dry_run:
            return {"dry_run": True, **plan}
        lock = self.store.locks.get(env)
        now = SYSTEM_CLOCK.now()
        if lock is not None and not lock.expired(now):
            raise Refused(refusal(lock, now))
        payload: dict[str, Any] = {
            "environment": env,
            "scenario": scenario,
            "datastore": plan.get("datastore"),
            "service": service,
            "count": count,
            "version": version,
            "services": plan["services"] if scenario == "control-plane-crash" else None,
            "standby": plan.get("standby"),
            "scratch": True if plan.get("scratch") else None,
            "requested_by": requested_by,
            "baseline_seconds": baseline_seconds,
        }
        runbook = f"drill-{scenario}"
        return self._start(
            runbook, runbook, env, {k: v for k, v in payload.items() if v is not None}
        ).to_json()

    def rotate(
        self, *, environment: str, secret: str, requested_by: str, version_id: str | None = None
    ) -> Started:
        """Start the rotate-secret runbook; ``BadInput`` for a secret the fleet file does not
        declare, ``Refused`` at once when the lock is held, maintenance is on or a user of the
        secret is blocked (the runbook checks again once it holds the lock). ``version_id``: the
        id of the version it makes (default: derived from the execution)."""
        fleet = self.fleet(environment)
        if secret not in fleet.secrets:
            known = ", ".join(sorted(fleet.secrets)) or "none"
            raise BadInput(f"unknown secret {secret!r} (the fleet file declares: {known})")
        if isinstance(self.runtime_for(environment), AwsFleetRuntime):
            # The runbook's steps set and test a new password on the datastore and prove that
            # every instance loaded it; on AWS fleetops reaches neither databases nor instances,
            # which is why AWS runs those steps in a rotation Lambda inside the VPC.
            raise BadInput(
                f"rotating secrets of aws environment {environment!r} is not built: rotate {secret!r} with "
                "Secrets Manager's own rotation (aws secretsmanager rotate-secret --secret-id ID, with a "
                "rotation Lambda), then redeploy the services using it (fleetops deploy "
                f"{environment} --version ...)"
            )
        users = consumers(fleet, environment, secret)
        check_change(self.store, environment, users, action=f"rotation of {secret!r} in {environment!r}")
        payload = {"environment": environment, "secret": secret, "requested_by": requested_by}
        if version_id is not None:
            payload["version_id"] = version_id
        return self._start("rotate-secret", f"rotate-{secret}", environment, payload)

    def _start(
        self,
        runbook: str,
        operation: str,
        environment: str,
        payload: dict[str, Any],
        *,
        name: str | None = None,
    ) -> Started:
        name = name or new_name(operation, environment, SYSTEM_CLOCK.now())
        if orchestrated(self.environments.fleet, environment):
            # The exported machine, through its alias live; the handlers its activities call run
            # here anyway (fleetops worker -> POST /tasks/run): the lock and releases as locally.
            arn = self.stepfunctions.start(environment, runbook, name, payload)
            return Started(name, arn, operation)
        # Stored on first use (and updated when the built-in changed), so a server that never
        # deploys lists no built-in state machines.
        machine = self.executions.machines.ensure(machine_name(runbook), definition_text(runbook)).arn
        record = self.executions.start_execution(
            machine, payload, name=name, started_by=str(payload["requested_by"])
        )
        return Started(record.name, record.arn, operation)

    # -- approvals and stops ---------------------------------------------------------------

    def execution_arn(self, name_or_arn: str) -> str:
        """An execution's ARN from its name (a deploy, rollback or rotate-secret runbook's) or ARN."""
        if name_or_arn.startswith("arn:"):
            return name_or_arn
        runbook = "deploy"
        if name_or_arn.startswith("rotate-"):
            runbook = "rotate-secret"
        elif (drill := drill_runbook(name_or_arn)) is not None:
            runbook = drill
        else:
            runbook = next((r for r in ("rollback", "restore") if name_or_arn.startswith(f"{r}-")), "deploy")
        return self.executions.engine.execution_arn(machine_name(runbook), name_or_arn)

    def locate(self, name_or_arn: str) -> tuple[str, Target | None]:
        """An execution's ARN and, for one on Step Functions, where it runs (None: here).

        A name is looked up here first, then as an execution of an ``aws-stepfunctions``
        environment (names say their environment: ``deploy-dev-20261122T090000-3f2a``)."""
        if name_or_arn.startswith("arn:"):
            return name_or_arn, self.stepfunctions.target_of(name_or_arn)
        arn = self.execution_arn(name_or_arn)
        try:
            self.store.executions.get(arn)
        except ExecutionDoesNotExist:
            remote = self.stepfunctions.find(name_or_arn)
            if remote is not None:
                return remote
        return arn, None

    def record(self, execution: str) -> ExecutionRecord:
        """An execution (name or ARN), here or on Step Functions."""
        arn, target = self.locate(execution)
        if target is not None:
            return self.stepfunctions.describe(target, arn)
        return self.executions.describe_execution(arn)

    def history(self, execution: str) -> list[HistoryEvent]:
        """An execution's events, oldest first; one on Step Functions as AWS records it."""
        arn, target = self.locate(execution)
        if target is None:
            return list(self.executions.history(arn))
        return self.stepfunctions.as_recorded(target, arn)

    async def _read_off_loop(
        self, arn: str, target: Target | None
    ) -> tuple[ExecutionRecord, Sequence[HistoryEvent]]:
        """:meth:`_read`, in a thread for an execution on Step Functions (a network call)."""
        if target is None:
            return self._read(arn, target)
        return await asyncio.to_thread(self._read, arn, target)

    def _read(self, arn: str, target: Target | None) -> tuple[ExecutionRecord, Sequence[HistoryEvent]]:
        """The record and the history in the engine's terms (activities read as their tasks)."""
        if target is None:
            return self.executions.describe_execution(arn), self.executions.history(arn)
        return self.stepfunctions.describe(target, arn), self.stepfunctions.history(target, arn)

    def approve(
        self, execution: str, *, approved: bool, by: str, reason: str | None = None
    ) -> dict[str, Any]:
        """Approve (or reject) the deployment waiting at its approval gate."""
        arn, target = self.locate(execution)
        if target is not None:
            return self._approve_there(arn, target, approved=approved, by=by, reason=reason)
        record = self.executions.describe_execution(arn)
        token = pending_approval_token(self.executions.history(arn)) if record.status == RUNNING else None
        if token is None:
            raise BadInput(f"execution {record.name} is {record.status} and waits for no approval")
        if approved:
            self._check_approver(record.name, deployment_plan(self.executions.history(arn)), by)
            self.executions.callbacks.send_task_success(token, {"approved_by": by, "reason": reason})
        else:
            self.executions.callbacks.send_task_failure(
                token, REJECTED, f"rejected by {by}: {reason or 'no reason'}"
            )
        return {"execution": record.name, "approved": approved, "by": by, "reason": reason}

    def _approve_there(
        self, arn: str, target: Target, *, approved: bool, by: str, reason: str | None
    ) -> dict[str, Any]:
        """:meth:`approve` of a deployment on Step Functions: SendTaskSuccess/SendTaskFailure
        with the activity task token its worker handed over (``HeldTaskTokens``)."""
        tokens = self.task_tokens
        if tokens is None:
            raise BadInput(f"this control plane keeps no task tokens: it cannot answer {arn}'s approval")
        record, events = self._read(arn, target)
        held = tokens.held(arn)
        if record.status != RUNNING or pending_approval_token(events) is None:
            if held is not None:
                tokens.release(arn, held)  # the gate ended without us (timed out, stopped)
            raise BadInput(f"execution {record.name} is {record.status} and waits for no approval")
        if held is None:
            raise BadInput(
                f"execution {record.name} waits at its approval gate, but no worker has handed its "
                f"task over to this control plane yet: is `fleetops worker --env {target.environment}` "
                "running?"
            )
        if approved:
            self._check_approver(record.name, deployment_plan(events), by)
        try:
            if approved:
                self.stepfunctions.answer(target, held.token, output={"approved_by": by, "reason": reason})
            else:
                cause = f"rejected by {by}: {reason or 'no reason'}"
                self.stepfunctions.answer(target, held.token, error=REJECTED, cause=cause)
        except BadInput:
            tokens.release(arn, held)  # that task waits no more: its token is worth nothing now
            raise
        tokens.release(arn, held)
        return {"execution": record.name, "approved": approved, "by": by, "reason": reason}

    def _check_approver(self, execution: str, plan: Mapping[str, Any] | None, by: str) -> None:
        """``Forbidden`` when ``by`` started the deployment and its environment wants another
        identity's approval (``self_approval: false``, the default), as AWS's and Spinnaker's
        approval gates keep the one who asks from being the one who approves."""
        if plan is None:
            return
        environment = str(plan["environment"])
        settings = self.fleet(environment).environments[environment]
        if by == plan.get("requested_by") and not settings.self_approval:
            raise Forbidden(
                f"{by!r} started deployment {execution} and cannot approve it: environment "
                f"{environment!r} needs the approval of another identity (or `self_approval: true` "
                "on the environment in the fleet file); rejecting it is allowed"
            )

    async def stop(
        self, execution: str, *, by: str, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        """Stop a running execution, then undo what it touched (see the module docstring).

        The execution ends ABORTED with ``error`` and ``cause`` (default ``fleetops.Stopped``,
        "stopped by <by>"). ``BadInput`` when it is not running: it ended already, and nothing
        is changed.
        """
        # Reading or starting on Step Functions is a network call: made off the server's loop.
        arn, target = await asyncio.to_thread(self.locate, execution)
        record, _ = await self._read_off_loop(arn, target)
        running = record.status == RUNNING
        error, cause = error or "fleetops.Stopped", cause or f"stopped by {by}"
        if running and target is not None:
            record = await asyncio.to_thread(self.stepfunctions.stop, target, arn, error=error, cause=cause)
            if self.task_tokens is not None:
                self.task_tokens.release(arn)  # a gate it waited at is closed with it
        elif running:
            record = await self.executions.stop_execution(arn, error=error, cause=cause)
        # Not running, or it ended on its own meanwhile (stop_execution leaves that as it is).
        if not running or record.status != ExecutionStatus.ABORTED:
            raise BadInput(
                f"execution {record.name} already ended ({record.status}): there is nothing to stop"
            )
        out: dict[str, Any] = {"execution": record.name, "status": record.status, "rollback": None}
        _, events = await self._read_off_loop(arn, target)
        if drill_runbook(record.name) is not None:
            self._end_drill(record.name, task_output(events, "drill-initialize"))
            return out
        plan = deployment_plan(events)
        undoing = task_input(events, "rollback-initialize")
        initialized = task_input(events, "deploy-initialize") or undoing
        environment = plan["environment"] if plan is not None else (initialized or {}).get("environment")
        if not isinstance(environment, str):
            return out  # stopped before its initialize step began: it holds nothing
        # Its initialize step may still run in its thread: from here on it can neither take
        # the lock nor pin, so what it holds now is all it will ever hold.
        self.store.stopped.record(record.name, by=by)
        if undoing is not None or (plan is not None and "waves" not in plan):
            # A rollback is not rolled back: it gives the environment back. Until its initialize
            # step took the lock over, the execution it undoes held it for it.
            release_lock(self.store, environment, owner=record.name, by_stop=True)
            if isinstance(undoing, dict) and isinstance(undoing.get("stopped_execution"), str):
                release_lock(self.store, environment, owner=undoing["stopped_execution"], by_stop=True)
            return out
        if plan is None:
            # No plan recorded, so no rollout of it was started (the plan is what starts them):
            # its pinned releases end here, and the environment is free at once.
            release_lock(self.store, environment, owner=record.name, by_stop=True)
            undone = roll_back_pinned(self.store, environment, record.name)
            out["releases"] = [
                {"service": r.service, "release": r.number, "status": str(r.status)} for r in undone
            ]
            return out
        touched = self.store.releases.list(environment=environment, execution_id=record.name)
        if not touched:
            release_lock(self.store, environment, owner=record.name, by_stop=True)
            return out
        # The lock stays held by the stopped execution until its rollback takes it over
        # (``store.locks.transfer``): a deployment started meanwhile cannot slip in between.
        try:
            rollback = functools.partial(
                self.rollback, environment=environment, requested_by=by, stopped_execution=record.name
            )
            started = rollback() if target is None else await asyncio.to_thread(rollback)
        except BaseException:
            release_lock(self.store, environment, owner=record.name, by_stop=True)
            raise
        out["rollback"] = started.to_json()
        return out

    def _end_drill(self, name: str, plan: Any) -> None:
        """What a stopped drill leaves running here: its steady client, its datastore's paused
        stamps (a restore it started goes on, behind the lock it holds, to its end)."""
        self.clients.stop(name)
        if isinstance(plan, dict) and plan.get("scenario") == "control-plane-crash":
            with contextlib.suppress(FleetopsError):
                self.crash_drills(str(plan["environment"])).stop_watchdog(name)
        if isinstance(plan, dict) and plan.get("datastore"):
            target = plan.get("scratch") or plan["environment"]
            self.heartbeats.resume(str(target), str(plan["datastore"]))
        if isinstance(plan, dict) and plan.get("scratch"):
            with contextlib.suppress(FleetopsError):
                self.scratch_copies(str(plan["environment"])).discard()
        if isinstance(plan, dict) and plan.get("standby"):
            for datastore in plan.get("backups") or ():
                self.heartbeats.resume(str(plan["standby"]), str(datastore))

    async def stop_all(self, *, by: str) -> list[dict[str, Any]]:
        """Stop every running deploy execution (newest first), each undone as :meth:`stop` does."""
        machine = self.executions.engine.state_machine_arn(machine_name("deploy"))
        running = self.store.executions.list(machine, status=RUNNING, limit=1000)
        running += await asyncio.to_thread(self.remote_executions, ("deploy",), status=RUNNING, limit=1000)
        stopped = []
        for record in running:
            try:
                stopped.append(await self.stop(record.arn, by=by))
            except BadInput:
                continue  # it ended on its own since it was listed: nothing to stop
        return stopped

    # -- reading ---------------------------------------------------------------------------

    def progress(self, execution: str) -> dict[str, Any]:
        """The execution and, per service, its rollout now (percentage, checkpoint, reason)."""
        record, events = self._read(*self.locate(execution))
        plan = deployment_plan(events)
        out: dict[str, Any] = {
            **describe(record),
            "waiting_for_approval": record.status == RUNNING and pending_approval_token(events) is not None,
            "services": [],
            "rollback": [],
            "skipped": [],
            "steps": steps_of(events),
        }
        if plan is None:
            return out
        out["environment"] = plan["environment"]
        out["skipped"] = skipped_services(plan)
        # Numbered from 1, as ``fleetops plan`` numbers them.
        items = [dict(i, wave=n) for n, wave in enumerate(plan.get("waves", []), start=1) for i in wave]
        out["services"] = [self._rollout_of(i, i["rollout_id"]) for i in items]
        targets = task_output(events, "deploy-rollback-plan") or {}
        rollbacks = targets.get("targets") or plan.get("targets") or []
        out["rollback"] = [self._rollout_of(t, t.get("rollout_id")) for t in rollbacks]
        return out

    def remote_executions(
        self, runbooks: Sequence[str], *, status: str | None, limit: int
    ) -> list[ExecutionRecord]:
        """Executions of ``runbooks`` on Step Functions (``aws-stepfunctions`` environments)."""
        return self.stepfunctions.list_all(runbooks, status=status, limit=limit)

    def _rollout_of(self, item: dict[str, Any], rollout_id: str | None) -> dict[str, Any]:
        row: dict[str, Any] = {k: item[k] for k in ("service", "version", "release", "wave") if k in item}
        try:
            view = self.runtime_for(item["environment"]).describe_rollout(rollout_id or "")
        except (KeyError, Refused):
            return {**row, "status": "Waiting", "rollout": None}
        return {**row, "status": view.status, "rollout": view.to_json()}


def skipped_services(plan: dict[str, Any]) -> list[dict[str, str]]:
    """The services a deploy or rollback plan leaves as they are, each with why."""
    skipped = plan.get("skipped") or {}
    if isinstance(skipped, dict):  # a deploy's: service -> why
        return [{"service": service, "reason": str(why)} for service, why in skipped.items()]
    return [  # a rollback's: the service runs its target already
        {
            "service": item["service"],
            "reason": f"already on its last verified release {item['version']}, nothing to do",
        }
        for item in skipped
    ]


def steps_of(events: Sequence[HistoryEvent]) -> list[dict[str, Any]]:
    """The Task states the execution went through, in the order last entered, each ``running``,
    ``done`` or ``failed`` (a state looked at again, a Wait loop's, is one step): what ``--wait``
    shows of a runbook without rollouts (a restore)."""
    steps: dict[str, dict[str, Any]] = {}
    for event in events:
        name = event.details.get("name")
        if not isinstance(name, str) or not event.type.startswith("TaskState"):
            continue
        if event.type.endswith("StateEntered"):
            steps.pop(name, None)
            steps[name] = {
                "state": name,
                "status": "running",
                "at": event.timestamp.astimezone(UTC).isoformat(),
            }
        elif event.type.endswith("StateExited") and name in steps:
            steps[name]["status"] = "done"
    if events and events[-1].type in ("ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"):
        for step in steps.values():
            if step["status"] == "running":
                step["status"] = "failed"
    return list(steps.values())


def describe(record: ExecutionRecord) -> dict[str, Any]:
    """An execution record as JSON (no definition)."""
    return {
        "execution": record.name,
        "execution_arn": record.arn,
        "state_machine_arn": record.state_machine_arn,
        "status": record.status,
        "input": json.loads(record.input),
        "output": None if record.output is None else json.loads(record.output),
        "error": record.error,
        "cause": record.cause,
        "start_date": record.start_date.astimezone(UTC).isoformat(),
        "stop_date": None if record.stop_date is None else record.stop_date.astimezone(UTC).isoformat(),
    }


def task_output(events: Sequence[HistoryEvent], resource: str) -> Any:
    """The output of the last successful task of ``resource`` (``deploy-initialize``), or None."""
    scheduled: dict[str, str] = {}
    found = None
    for event in events:
        if event.type == "TaskScheduled":
            scheduled[event.scope] = str(event.details.get("resource"))
        elif event.type == "TaskSucceeded" and scheduled.get(event.scope) == resource:
            found = json.loads(event.details["output"])
    return found


def task_input(events: Sequence[HistoryEvent], resource: str) -> Any:
    """The input of the last task of ``resource`` scheduled (``deploy-initialize``), or None."""
    found = None
    for event in events:
        if event.type == "TaskScheduled" and event.details.get("resource") == resource:
            found = json.loads(event.details["parameters"])
    return found


def deployment_plan(events: Sequence[HistoryEvent]) -> dict[str, Any] | None:
    """The plan a deploy or rollback execution's initialize step made, or a rotation's redeploy
    (None before it ran)."""
    plan = (
        task_output(events, "deploy-initialize")
        or task_output(events, "rollback-initialize")
        or task_output(events, "rotate-redeploy-plan")
    )
    # A deployment queued for the lock (--lock-wait) has made no plan yet.
    return plan if isinstance(plan, dict) and not plan.get("queued") else None
