"""The fleet port: what the runbooks (and the API) act on an environment's fleet through.

``FleetControl`` is the one protocol; ``fleetops.control.fleet.FleetRuntime`` implements it over
a provider, ``fleetops.testing.fleet_runtime.InMemoryFleetRuntime`` in memory. Its value types:
a rollout replaces one service's instances with a release, with EC2 Auto Scaling instance
refresh semantics (``fleetops.rollout``), asked for with a ``RolloutRequest``; ``RolloutView``
is its DescribeInstanceRefreshes-like description (``FENCED``: one that never ran);
``FleetStatus`` is what ``GET /fleet`` and ``fleetops status`` show; ``ScalingActivity`` a
change of a desired count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from fleetops.ops.drills.report import ClientCounts
from fleetops.rollout import RefreshPreferences, RefreshStatus
from fleetops.spec.fleet import Fleet
from fleetops.store.backups import Backup


@dataclass(frozen=True)
class RolloutRequest:
    """Replace ``service``'s instances in ``environment`` with ``version`` (release ``release_number``)."""

    rollout_id: str
    """Caller-chosen idempotency key, e.g. ``f"{execution_name}:{service}:{release_number}"``."""
    environment: str
    service: str
    version: str
    release_number: int
    preferences: RefreshPreferences | None = None
    """None: the service's ``deploy`` settings from the fleet file."""


FENCED = "Cancelled before it started: the execution that planned it had ended."
"""The status reason of a fence (``FleetControl.fence_rollout``): a rollout id recorded
Cancelled before any rollout with it started, so none ever does."""


@dataclass(frozen=True)
class RolloutView:
    """A rollout as DescribeInstanceRefreshes shows an instance refresh."""

    rollout_id: str
    environment: str
    service: str
    version: str
    release_number: int
    status: str
    """Pending, InProgress, Baking, Successful, Failed, Cancelling, Cancelled,
    RollbackInProgress, RollbackSuccessful or RollbackFailed."""
    status_reason: str
    percentage_complete: int
    instances_to_update: int
    checkpoint: str | None
    """The last checkpoint reached, as ``"50%"``."""
    started_at: datetime
    ended_at: datetime | None
    failure: str | None
    """The rendered failure report: instance, last probes with timings, last log lines."""

    @property
    def terminal(self) -> bool:
        """Whether the rollout has ended."""
        return RefreshStatus(self.status).terminal

    @property
    def fenced(self) -> bool:
        """Whether this is a fence (see ``FleetControl.fence_rollout``): nothing ever ran."""
        return self.status == RefreshStatus.CANCELLED.value and self.status_reason == FENCED

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values (the API and ``--output json`` shape)."""
        return {
            "rollout_id": self.rollout_id,
            "environment": self.environment,
            "service": self.service,
            "version": self.version,
            "release_number": self.release_number,
            "status": self.status,
            "status_reason": self.status_reason,
            "percentage_complete": self.percentage_complete,
            "instances_to_update": self.instances_to_update,
            "checkpoint": self.checkpoint,
            "started_at": self.started_at.isoformat(),
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "failure": self.failure,
            "terminal": self.terminal,
        }


@dataclass(frozen=True)
class InstanceStatus:
    """One instance as the status shows it."""

    id: str
    version: str
    state: str
    """Pending, InService, Draining, Terminating, Terminated."""
    health: str
    """initial, healthy, unhealthy, draining, unused."""
    health_reason: str
    port: int
    started_at: datetime
    cpu_percent: float | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "id": self.id,
            "version": self.version,
            "state": self.state,
            "health": self.health,
            "health_reason": self.health_reason,
            "port": self.port,
            "started_at": self.started_at.isoformat(),
            "cpu_percent": self.cpu_percent,
        }


@dataclass(frozen=True)
class ServiceStatus:
    """One service: what it should run, what runs, and whether it is healthy."""

    name: str
    endpoint: str
    version: str
    """The version it should run (its current release's)."""
    release_number: int
    desired: int
    min: int
    max: int
    instances: tuple[InstanceStatus, ...] = ()
    rollout: str | None = None
    """The id of the rollout running now, if any."""

    @property
    def healthy(self) -> int:
        """Instances in service and healthy."""
        return sum(1 for i in self.instances if i.state == "InService" and i.health == "healthy")

    @property
    def versions(self) -> tuple[str, ...]:
        """Versions its live instances run, sorted."""
        live = ("Pending", "InService")
        return tuple(sorted({i.version for i in self.instances if i.state in live}))

    @property
    def ready(self) -> bool:
        """Whether ``desired`` instances are in service, healthy, at ``version`` only."""
        return (
            self.healthy >= self.desired
            and self.versions in ((), (self.version,))
            and (self.desired == 0 or self.versions == (self.version,))
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "name": self.name,
            "endpoint": self.endpoint,
            "version": self.version,
            "release_number": self.release_number,
            "desired": self.desired,
            "min": self.min,
            "max": self.max,
            "healthy": self.healthy,
            "versions": list(self.versions),
            "ready": self.ready,
            "rollout": self.rollout,
            "instances": [i.to_json() for i in self.instances],
        }


@dataclass(frozen=True)
class DatastoreStatus:
    """One datastore of an environment: whether it answers, and its connections and size."""

    name: str
    kind: str
    healthy: bool
    detail: str
    port: int | None = None
    connections: int | None = None
    size_bytes: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "name": self.name,
            "kind": self.kind,
            "healthy": self.healthy,
            "detail": self.detail,
            "port": self.port,
            "connections": self.connections,
            "size_bytes": self.size_bytes,
        }


@dataclass(frozen=True)
class FleetStatus:
    """Every service of one environment, and its datastores."""

    fleet: str
    environment: str
    services: tuple[ServiceStatus, ...] = field(default=())
    datastores: tuple[DatastoreStatus, ...] = field(default=())

    @property
    def ready(self) -> bool:
        """Whether every service is at its desired state."""
        return all(service.ready for service in self.services)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "fleet": self.fleet,
            "environment": self.environment,
            "ready": self.ready,
            "services": [service.to_json() for service in self.services],
            "datastores": [store.to_json() for store in self.datastores],
        }


OPERATOR_CAUSE = "set by an operator"
"""The cause of a scaling activity an operator asked for."""


@dataclass(frozen=True)
class ScalingActivity:
    """A change of a service's desired count (DescribeScalingActivities): when, from, to, why."""

    at: datetime
    service: str
    before: int
    after: int
    cause: str
    """``CPU 83% above target 50%``, or ``set by an operator``."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "at": self.at.isoformat(),
            "service": self.service,
            "before": self.before,
            "after": self.after,
            "cause": self.cause,
        }


class RotationTargets(Protocol):
    """What a secret rotation acts on in an environment: the datastore a password guards (set,
    test and revoke a login; the current login is the runtime's own, from the secrets store)
    and the instances that must prove they loaded the new version."""

    def rotation_user(self, datastore: str) -> str:
        """The user a new password of ``datastore`` goes to: PostgreSQL alternates between its
        user and ``<user>_clone`` (never the current one); Redis keeps its user."""
        ...

    def set_login(self, datastore: str, user: str | None, password: str) -> None:
        """setSecret: make the login valid, leaving the current one working (``user`` None, here
        and below: the datastore's own user)."""
        ...

    def try_login(self, datastore: str, user: str | None, password: str) -> None:
        """testSecret: log in with it and run a query; an error saying why not."""
        ...

    def revoke_login(self, datastore: str, user: str | None, password: str) -> None:
        """Make the login refused from now on (never the current one)."""
        ...

    def loaded_secret_versions(self, service: str) -> dict[str, dict[str, str] | None]:
        """Instance id -> the secret versions it reports it loaded (its health endpoint's
        ``secret_versions``; None: it does not say), for every instance still running."""
        ...


class FleetControl(RotationTargets, Protocol):
    """What the runbooks and the API use of an environment's fleet (``FleetRuntime``, and
    ``fleetops.testing.fleet_runtime.InMemoryFleetRuntime`` in tests); the control plane also
    starts and stops the ones it opens (``fleetops.control.environments``)."""

    environment: str
    fleet: Fleet
    """The fleet file as this runtime was built from (a reload reaches only runtimes built after)."""

    def start(self) -> None:
        """Start the provider and bring every service to its desired state."""
        ...

    def stop(self) -> None:
        """Stop every process it started (idempotent)."""
        ...

    def start_rollout(self, request: RolloutRequest) -> RolloutView:
        """Start (idempotently, by rollout id) replacing a service's instances with a release."""
        ...

    def describe_rollout(self, rollout_id: str) -> RolloutView:
        """The rollout now; KeyError if unknown."""
        ...

    def cancel_rollout(self, rollout_id: str) -> RolloutView:
        """Stop replacing instances; Refused once the rollout has ended."""
        ...

    def rollback_rollout(self, rollout_id: str) -> RolloutView:
        """Stop a running rollout and return what it replaced to the previous version; KeyError
        when it does not run here, Refused when it cannot be rolled back."""
        ...

    def rolls_back_in_place(self, service: str) -> bool:
        """Whether a running rollout of ``service`` is undone by its provider
        (``rollback_rollout``: AWS's RollbackInstanceRefresh) when a deployment is rolled back,
        rather than cancelled and followed by a rollout to the last verified release."""
        ...

    def fence_rollout(self, request: RolloutRequest) -> RolloutView:
        """Make sure no rollout with ``request.rollout_id`` starts from now on: unless one exists,
        record the id Cancelled (:data:`FENCED`) without launching anything, so a later
        ``start_rollout`` of it returns that. The rollout with the id: the existing one or the fence."""
        ...

    def current_versions(self) -> dict[str, str]:
        """Service -> the version its instances run."""
        ...

    def endpoint(self, service: str) -> str:
        """The URL of the service's load balancer."""
        ...

    def status(self) -> FleetStatus:
        """Services, instances, versions, health; every datastore's health."""
        ...

    def services_status(self) -> FleetStatus:
        """``status`` without the datastores (``datastores`` empty): what a caller that reads only
        services asks for, since a datastore's health check is a new connection to it (a
        PostgreSQL backend started and a login, each time)."""
        ...

    def scale(self, service: str, desired: int, *, cause: str = OPERATOR_CAUSE) -> None:
        """Set a service's desired count; BadInput outside min..max. ``cause``: why, as its
        scaling activity says (an operator's count, a scaling policy an alarm triggered)."""
        ...

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
        """The last log records of a service (or one instance) matching a filter pattern,
        written from ``start`` to ``end``."""
        ...

    def scaling_activities(self, service: str | None = None) -> list[ScalingActivity]:
        """Changes of desired counts (autoscaling and operators), newest first."""
        ...

    def secret_values(self) -> frozenset[str]:
        """The current and previous values of the environment's secrets: what redaction removes
        from every text that leaves it."""
        ...


class DatastoreControl(Protocol):
    """What the restore runbook acts on in one environment: its datastores and their backups, and
    the desired counts of the services that use them (``fleetops.control.restores`` over the
    local sandbox). Every call is safe to repeat: handlers run at least once."""

    environment: str

    def users(self, datastore: str) -> list[str]:
        """The services of the environment that use ``datastore`` (they are paused during a restore)."""
        ...

    def desired(self, service: str) -> int:
        """The service's desired count now."""
        ...

    def set_desired(self, service: str, desired: int) -> None:
        """Set a desired count outside the service's min..max too (0 pauses it)."""
        ...

    def live_instances(self, service: str) -> int:
        """Instances of the service still running (pending, in service or draining)."""
        ...

    def waiting_for(self, service: str) -> str | None:
        """None once the service has its desired count of healthy instances; else what it lacks."""
        ...

    def backup(self, datastore: str, *, backup_id: str, tag: str) -> Backup:
        """Take a backup now under ``backup_id`` (the one already taken under it, if any)."""
        ...

    def check_backup(self, backup_id: str, datastore: str) -> Backup:
        """The catalog entry, its file's sha256 checked: ``BadInput`` when it is not a backup of
        ``datastore`` here, or when the file is missing or damaged (it is never restored)."""
        ...

    def restore(self, datastore: str, backup_id: str) -> None:
        """Replace the datastore's data with the backup's."""
        ...

    def contents(self, datastore: str) -> dict[str, int]:
        """Rows per table (keys per Redis database) the datastore holds now."""
        ...

    def base_backup_before(self, datastore: str, moment: datetime) -> Backup:
        """The newest base backup of ``datastore`` (PostgreSQL) that a restore to ``moment``
        can start from (it ended before ``moment``), its file's sha256 checked: ``BadInput``
        when there is none (``moment`` before the oldest) or it is missing or damaged."""
        ...

    def restore_to_time(self, datastore: str, base_backup_id: str, moment: datetime) -> None:
        """Replace the datastore's data with its state at ``moment``: the base backup, then its
        archived WAL replayed up to ``moment``."""
        ...


@dataclass(frozen=True)
class ChildRun:
    """An execution a drill started (its restore): status, and when its services were healthy."""

    name: str
    status: str
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED."""
    error: str | None = None
    cause: str | None = None
    healthy_at: datetime | None = None
    """When its last health look found every paused service healthy again."""


class DrillControl(Protocol):
    """What the drill runbooks act on in one running environment (``fleetops.control.drills``
    over the local sandbox): the outage they cause, the heartbeat stamps and steady client they
    measure with, and the restore runbook they recover through. Every call is safe to repeat."""

    environment: str

    def users(self, datastore: str) -> list[str]:
        """The services of the environment that use ``datastore``."""
        ...

    def kind(self, datastore: str) -> str:
        """The datastore's kind (postgres, sqlite, redis)."""
        ...

    def latest_verified_backup(self, datastore: str) -> Backup | None:
        """The newest backup of ``datastore`` verified by restore (pre-restore snapshots aside)."""
        ...

    def client_urls(self, services: list[str], path: str | None) -> list[str]:
        """What the steady client requests: each service's load balancer with ``path`` (None:
        its health check path)."""
        ...

    def start_client(self, key: str, urls: list[str]) -> None:
        """Start the steady client of drill ``key``."""
        ...

    def stop_client(self, key: str) -> ClientCounts | None:
        """Stop it; what it saw (None: it did not run here, e.g. after a control plane restart)."""
        ...

    def destroy(self, datastore: str) -> None:
        """Pause the datastore's heartbeat stamps, then remove all of its data."""
        ...

    def newest_stamp(self, datastore: str) -> datetime | None:
        """The heartbeat stamp the datastore holds now (None: none survived)."""
        ...

    def resume_heartbeat(self, datastore: str) -> None:
        """Stamp the datastore again."""
        ...

    def start_restore(
        self, name: str, datastore: str, backup_id: str, requested_by: str, poll_seconds: int
    ) -> None:
        """Start the restore runbook as execution ``name`` (nothing when it exists already),
        looking every ``poll_seconds`` at its services (the drill's RTO is that precise)."""
        ...

    def restore_run(self, name: str) -> ChildRun:
        """The restore execution ``name`` now."""
        ...

    def waiting_for(self, service: str) -> str | None:
        """None once the service has its desired count of healthy instances; else what it lacks."""
        ...

    def running_ids(self, service: str) -> list[str]:
        """Ids of the service's instances pending or in service."""
        ...

    def kill_instances(self, service: str, count: int) -> list[str]:
        """SIGKILL ``count`` running instances of ``service`` (a crash: no drain); their ids."""
        ...


@dataclass(frozen=True)
class ChildDeployment:
    """The deployment a control-plane-crash drill started, as it is now."""

    name: str
    status: str
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED."""
    error: str | None
    cause: str | None
    rolling: list[str]
    """Services whose rollout is in its middle now: an instance of the new version in service,
    one of the old version still running."""
    resumed_at: datetime | None
    """Its first history event after the moment asked about (the kill): when it went on."""
    ended_at: datetime | None


@dataclass(frozen=True)
class CrashRecord:
    """The kill of a control plane: which process, when."""

    pid: int
    at: datetime


class CrashDrillControl(Protocol):
    """What the control-plane-crash drill acts on (``fleetops.control.crash_drills``): this
    control plane's own process (killed with SIGKILL, restarted by a watchdog that outlives
    it), the deployment it interrupts, and the running environment's instances."""

    environment: str

    def restartable(self) -> str | None:
        """Why this control plane could not be restarted after a kill; None when it can."""
        ...

    def current_versions(self) -> dict[str, str]:
        """The version each service of the environment runs now."""
        ...

    def client_urls(self, services: list[str]) -> list[str]:
        """Each service's load balancer with its health check path."""
        ...

    def start_watchdog(self, drill: str, urls: list[str], max_seconds: float) -> int:
        """Start drill ``drill``'s watchdog (steady client on ``urls``, restart after the kill),
        stopping by itself after ``max_seconds``; its pid (the running one's when started)."""
        ...

    def start_deployment(self, name: str, version: str, services: list[str], requested_by: str) -> None:
        """Start the deploy runbook as execution ``name`` (nothing when it exists already)."""
        ...

    def deployment(self, name: str, after: datetime | None) -> ChildDeployment:
        """Deployment ``name`` now; ``resumed_at``: its first event after ``after``."""
        ...

    def crash(self, drill: str) -> CrashRecord:
        """SIGKILL this control plane's process, unless drill ``drill`` killed one already (then
        that kill, as recorded before it)."""
        ...

    def started_at(self) -> datetime:
        """When this control plane started."""
        ...

    def watch(self, drill: str) -> dict[str, Any] | None:
        """What the drill's watchdog wrote last (``fleetops.ops.drills.watchdog``)."""
        ...

    def stop_watchdog(self, drill: str) -> dict[str, Any] | None:
        """Stop the drill's watchdog and wait for its exit; what it wrote last (its final counts
        when it stopped in time)."""
        ...

    def live_versions(self, service: str) -> list[str]:
        """The versions of the service's instances pending or in service."""
        ...

    def desired_count(self, service: str) -> int:
        """How many instances the service should run."""
        ...


@dataclass(frozen=True)
class StandbyRelease:
    """What a standby runs of one service after a failover: its primary's newest verified
    release (version), at the desired count it had there."""

    service: str
    version: str
    desired: int


class FailoverControl(Protocol):
    """What the environment-failover drill acts on (``fleetops.control.failover_drills``): a
    primary environment the drill stops (the region lost), its standby the drill brings up in
    its place, and the catalog of the primary's releases and backups it is brought up from.
    Every call is safe to repeat."""

    primary: str
    standby: str

    def primary_running(self) -> bool:
        """Whether the primary runs on this control plane."""
        ...

    def standby_running(self) -> bool:
        """Whether the standby runs on this control plane."""
        ...

    def releases(self) -> list[StandbyRelease]:
        """Each service of the primary at its newest verified release and its desired count
        (``BadInput`` naming a service without a verified release)."""
        ...

    def latest_verified_backup(self, datastore: str) -> Backup | None:
        """The primary's newest backup of ``datastore`` verified by restore (pre-restore
        snapshots and base backups aside)."""
        ...

    def start_client(self, key: str, urls: list[str]) -> None:
        """Start the steady client of drill ``key`` on ``urls`` (the entry point)."""
        ...

    def stop_client(self, key: str) -> ClientCounts | None:
        """Stop it; what it saw (None: it did not run here)."""
        ...

    def stop_primary(self) -> None:
        """Stop the primary and every process it started (nothing when it is stopped)."""
        ...

    def start_primary(self) -> None:
        """Start the primary again (a failover that failed before its standby ran)."""
        ...

    def start_standby(self, drill: str, releases: list[StandbyRelease], backups: dict[str, str]) -> None:
        """Bring the standby up at ``releases`` (pinned there by execution ``drill``), its
        datastores' heartbeat paused, then restore each datastore from the primary's backup
        (datastore -> backup id). Nothing is started again when the standby runs already."""
        ...

    def waiting_for(self, urls: list[str]) -> str | None:
        """None once every service of the standby has its desired count healthy and every
        entry point URL answers 2xx; else what it lacks."""
        ...

    def mark_verified(self, drill: str) -> None:
        """Mark verified the standby's releases drill ``drill`` pinned (it is healthy at them)."""
        ...

    def newest_stamp(self, datastore: str) -> datetime | None:
        """The heartbeat stamp the standby's ``datastore`` holds now (None: none survived)."""
        ...

    def resume_heartbeat(self, datastores: list[str]) -> None:
        """Stamp the standby's ``datastores`` again."""
        ...


class ScratchControl(Protocol):
    """The scratch copy of an environment a datastore-loss drill destroys instead of the
    environment (``fleetops.control.scratch_copies``): an environment of its own, named
    ``name``, holding a copy of the environment's data. Every call is safe to repeat."""

    name: str

    def running(self) -> bool:
        """Whether the copy runs (another drill's)."""
        ...

    def start(self, drill: str) -> None:
        """Bring the copy up at the environment's versions and counts, its datastores holding
        what the environment's hold now (nothing when it runs already)."""
        ...

    def waiting_for(self) -> str | None:
        """None once every service of the copy has its desired count healthy."""
        ...

    def discard(self) -> None:
        """Stop the copy and every process it started."""
        ...
