"""The supervisor: the local Auto Scaling group.

It holds every instance's record and, every tick, moves each through its lifecycle
(Pending → InService → Draining → Terminating → Terminated) from what it observes: the process's
exit status and the load balancer's health checks. Like an Auto Scaling group it replaces an
instance that exits or fails its health checks (a new process at the same version and env),
unless replacement is suspended for its service; a repeatedly failing service is replaced with a
growing delay. An instance asked to terminate is not replaced.

Drain follows ELB deregistration: no new requests; the instance is stopped once it has had no
in-flight request for two ticks, or when the deregistration delay runs out.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from fleetops.providers.base import SECRET_VERSIONS_ENV, InstanceInfo, InstanceState, TargetHealth
from fleetops.providers.local.process import ManagedProcess, free_loopback_port
from fleetops.providers.local.runtime_api import StatRow
from fleetops.providers.local.service import ServiceRuntime

MAX_REPLACEMENT_DELAY = 10.0
_KEEP_TERMINATED = 50
_IDLE_TICKS_TO_FINISH_DRAIN = 2


class Balancer(Protocol):
    """What the supervisor asks of the load balancer."""

    def register(self, service: str, instance_id: str, port: int) -> None:
        """Add the instance; it takes traffic once its checks pass."""

    def drain(self, service: str, instance_id: str) -> None:
        """Stop sending it new requests; in-flight ones finish."""

    def remove(self, service: str, instance_id: str) -> None:
        """Take it out entirely (maintenance, then delete). Idempotent."""

    def keep(self, service: str, instance_id: str, port: int, *, up: bool) -> None:
        """Take over a server already registered (by an earlier control plane)."""

    def stats(self) -> Mapping[tuple[str, str], StatRow]:
        """Current rows by (service, instance id)."""


Spawn = Callable[["Instance"], ManagedProcess]
EventSink = Callable[[Mapping[str, Any]], None]


@dataclass
class Instance:
    """The supervisor's mutable record of one instance (read it through ``info()``)."""

    id: str
    service: str
    version: str
    env: Mapping[str, str]
    port: int
    started_at: datetime
    started_mono: float
    state: InstanceState = InstanceState.PENDING
    health: TargetHealth = TargetHealth.INITIAL
    health_reason: str = "registration in progress"
    replaces: str | None = None
    process: ManagedProcess | None = None
    exit_code: int | None = None
    ended_at: datetime | None = None
    drain_deadline: float | None = None
    idle_ticks: int = 0
    stop_when_drained: bool = True
    """False after a bare ``deregister``: the instance stays, deregistered, until terminated."""
    stopper: threading.Thread | None = field(default=None, repr=False)
    last_check: tuple[str, int | None] | None = None
    """Status and code of the last completed health check seen in ``show stat``."""

    def info(self) -> InstanceInfo:
        """An immutable snapshot."""
        return InstanceInfo(
            id=self.id,
            service=self.service,
            version=self.version,
            state=self.state,
            address="127.0.0.1",
            port=self.port,
            started_at=self.started_at,
            health=self.health,
            health_reason=self.health_reason,
            pid=self.process.pid if self.process else None,
            exit_code=self.exit_code,
            replaces=self.replaces,
            ended_at=self.ended_at,
        )


def _health_reason(row: StatRow, instance: Instance) -> str:
    check_code = row.check_code
    if row.check_running and instance.last_check and instance.last_check[0] == row.check_status:
        check_code = instance.last_check[1]  # the next check is under way: the code of the last
    code = f" {check_code}" if check_code is not None else ""
    return f"{row.status}: last check {row.check_status}{code}"


@dataclass
class _Replacement:
    due: float
    old: Instance


class Supervisor:
    """Keeps each service's instances running, replacing failed ones; see the module docstring."""

    def __init__(
        self,
        services: Mapping[str, ServiceRuntime],
        balancer: Balancer,
        spawn: Spawn,
        *,
        tick: float = 0.2,
        on_event: EventSink | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = dict(services)
        self.balancer = balancer
        self._spawn = spawn
        self.tick = tick
        self._on_event = on_event
        self._clock = clock
        self._lock = threading.RLock()
        self._instances: dict[str, Instance] = {}
        self._replacements: list[_Replacement] = []
        self._failures: dict[str, int] = {}
        self._suspended: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- commands ---------------------------------------------------------------------------

    def launch(
        self, service: str, version: str, env: Mapping[str, str] | None = None, *, replaces: str | None = None
    ) -> InstanceInfo:
        """Start an instance and register it with the balancer; it is Pending until healthy."""
        if service not in self.services:
            raise KeyError(f"unknown service {service!r}; known: {sorted(self.services)}")
        instance = Instance(
            id=f"{service}-{secrets.token_hex(4)}",
            service=service,
            version=version,
            env=dict(env or {}),
            port=free_loopback_port(),
            started_at=datetime.now(UTC),
            started_mono=self._clock(),
            replaces=replaces,
        )
        instance.process = self._spawn(instance)
        try:
            self.balancer.register(service, instance.id, instance.port)
        except Exception:
            instance.process.stop(self.services[service].stop_grace)
            raise
        with self._lock:
            self._instances[instance.id] = instance
        self._event(instance, "launched", replaces=replaces, pid=instance.process.pid)
        return instance.info()

    def adopt(self, instance: Instance, row: StatRow | None) -> InstanceInfo:
        """Take over an instance an earlier control plane started (``instance.process`` adopted)
        as HAProxy has it: ``row`` is its server's row, None when HAProxy does not know it (a
        new HAProxy): it is then registered and Pending again. A server that is up is InService;
        one that is down is Pending, replaced unless it passes its checks within the grace period
        counted from its start; one the earlier control plane was draining or removing is
        stopped (not replaced)."""
        assert instance.process is not None
        if row is None:
            self.balancer.register(instance.service, instance.id, instance.port)
            # Its grace period starts again with its registration, as a new instance's does.
            instance.started_mono = self._clock()
        else:
            self.balancer.keep(instance.service, instance.id, instance.port, up=row.status.startswith("UP"))
        with self._lock:
            self._instances[instance.id] = instance
            if row is not None and row.status.startswith("UP"):
                instance.state, instance.health, instance.health_reason = (
                    InstanceState.IN_SERVICE,
                    TargetHealth.HEALTHY,
                    "",
                )
            elif row is not None and not row.status.startswith("DOWN"):
                self._begin_stop(instance, reason=f"adopted while leaving the load balancer ({row.status})")
        self._event(instance, "adopted", pid=instance.process.pid, status=row.status if row else None)
        return instance.info()

    def terminate(self, instance_id: str, *, drain: bool = True) -> InstanceInfo:
        """Deregister (draining unless ``drain`` is false) and stop; the instance is not replaced."""
        with self._lock:
            instance = self._instances[instance_id]
            if instance.state in (InstanceState.PENDING, InstanceState.IN_SERVICE):
                # A Pending instance may already be taking traffic (checks passed since the last
                # tick), so it is drained too; the drain ends at once when it is idle.
                if drain:
                    self._begin_drain(instance)
                else:
                    self._begin_stop(instance, reason="terminated on request")
            elif instance.state is InstanceState.DRAINING and not instance.stop_when_drained:
                if drain and instance.health is TargetHealth.DRAINING:
                    instance.stop_when_drained = True  # stop once the drain under way ends
                else:
                    self._begin_stop(instance, reason="terminated on request")
            return instance.info()

    def deregister(self, instance_id: str) -> InstanceInfo:
        """Drain the instance out of its load balancer and keep it running (ELB deregister-targets):
        Draining, health ``draining`` until no request is in flight or the deregistration delay
        ends, then ``unused``. It is neither replaced nor stopped until ``terminate``."""
        with self._lock:
            instance = self._instances[instance_id]
            if instance.state in (InstanceState.PENDING, InstanceState.IN_SERVICE):
                instance.stop_when_drained = False
                self._begin_drain(instance)
            return instance.info()

    def suspend_replacement(self, service: str, suspended: bool = True) -> None:
        """Suspend (or resume) replacing ``service``'s failed instances (ASG suspend-processes)."""
        with self._lock:
            if suspended:
                self._suspended.add(service)
            else:
                self._suspended.discard(service)

    # -- queries ----------------------------------------------------------------------------

    def get(self, instance_id: str) -> InstanceInfo:
        """One instance's snapshot; KeyError if unknown."""
        with self._lock:
            return self._instances[instance_id].info()

    def record(self, instance_id: str) -> Instance:
        """The live record (for the provider's own use: ports, process, log paths)."""
        with self._lock:
            return self._instances[instance_id]

    def list(self, service: str | None = None, *, include_terminated: bool = False) -> list[InstanceInfo]:
        """Snapshots, oldest first."""
        with self._lock:
            return [
                instance.info()
                for instance in sorted(self._instances.values(), key=lambda i: i.started_mono)
                if (service is None or instance.service == service)
                and (include_terminated or instance.state is not InstanceState.TERMINATED)
            ]

    # -- the loop ---------------------------------------------------------------------------

    def start(self) -> None:
        """Run the loop in a daemon thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="fleetops-supervisor", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.step()
            except Exception as err:  # the loop must outlive any one bad pass; say what happened
                if self._on_event is not None:
                    with contextlib.suppress(Exception):
                        self._on_event({"event": "supervisor error", "error": repr(err)})

    def step(self) -> None:
        """One pass: observe processes and health, move states, launch due replacements."""
        try:
            stats: Mapping[tuple[str, str], StatRow] | None = self.balancer.stats()
        except Exception as err:  # without health, processes are still watched
            stats = None
            if self._on_event is not None:
                with contextlib.suppress(Exception):
                    self._on_event({"event": "balancer unavailable", "error": repr(err)})
        now = self._clock()
        with self._lock:
            for instance in list(self._instances.values()):
                self._observe(instance, stats, now)
            due = [r for r in self._replacements if r.due <= now]
            self._replacements = [r for r in self._replacements if r.due > now]
            self._prune()
        for replacement in due:
            old = replacement.old
            if old.service in self._suspended or self._stop.is_set():
                continue
            # Without the secret pins of the one it replaces: a replacement gets the current
            # values, so one started while a rotation redeploys cannot bring back the old value.
            env = {k: v for k, v in old.env.items() if k != SECRET_VERSIONS_ENV}
            with contextlib.suppress(Exception):
                self.launch(old.service, old.version, env, replaces=old.id)

    def _observe(
        self, instance: Instance, stats: Mapping[tuple[str, str], StatRow] | None, now: float
    ) -> None:
        if instance.state in (InstanceState.TERMINATING, InstanceState.TERMINATED):
            return
        assert instance.process is not None
        code = instance.process.poll()
        if code is not None:
            was_serving = instance.state is not InstanceState.DRAINING
            self._begin_stop(instance, reason=f"process exited with status {code}")
            if was_serving:
                self._schedule_replacement(instance, now)
            return
        if stats is None:
            return
        row = stats.get((instance.service, instance.id))
        if row is not None and not row.check_running:
            instance.last_check = (row.check_status, row.check_code)
        if instance.state is InstanceState.PENDING:
            if row is not None and row.status.startswith("UP"):
                instance.state, instance.health, instance.health_reason = (
                    InstanceState.IN_SERVICE,
                    TargetHealth.HEALTHY,
                    "",
                )
                self._failures[instance.service] = 0
                self._event(instance, "in service", seconds=round(now - instance.started_mono, 3))
            else:
                if row is not None:
                    instance.health_reason = _health_reason(row, instance)
                grace = self.services[instance.service].health.grace_period
                if now - instance.started_mono > grace:
                    instance.health = TargetHealth.UNHEALTHY
                    self._begin_stop(
                        instance, reason=f"not healthy within {grace}s: {instance.health_reason}"
                    )
                    self._schedule_replacement(instance, now)
        elif instance.state is InstanceState.IN_SERVICE:
            if row is not None and row.status.startswith("DOWN"):
                instance.health = TargetHealth.UNHEALTHY
                instance.health_reason = _health_reason(row, instance)
                self._begin_stop(instance, reason=f"failed health checks: {instance.health_reason}")
                self._schedule_replacement(instance, now)
        elif instance.state is InstanceState.DRAINING:
            busy = row is not None and row.current_sessions > 0
            instance.idle_ticks = 0 if busy else instance.idle_ticks + 1
            assert instance.drain_deadline is not None
            drained = instance.idle_ticks >= _IDLE_TICKS_TO_FINISH_DRAIN or now >= instance.drain_deadline
            if drained and instance.stop_when_drained:
                self._begin_stop(instance, reason="drained")
            elif drained and instance.health is TargetHealth.DRAINING:
                instance.health, instance.health_reason = TargetHealth.UNUSED, "deregistered"
                self._event(instance, "deregistered")

    def _begin_drain(self, instance: Instance) -> None:
        delay = self.services[instance.service].deregistration_delay
        instance.state, instance.health = InstanceState.DRAINING, TargetHealth.DRAINING
        instance.health_reason = "deregistration in progress"
        instance.drain_deadline = self._clock() + delay
        instance.idle_ticks = 0
        try:
            self.balancer.drain(instance.service, instance.id)
        except Exception:
            self._begin_stop(instance, reason="could not drain")
            return
        self._event(instance, "draining", deregistration_delay=delay)

    def _begin_stop(self, instance: Instance, *, reason: str) -> None:
        instance.state, instance.health_reason = InstanceState.TERMINATING, reason
        if instance.health is not TargetHealth.UNHEALTHY:
            instance.health = TargetHealth.UNUSED
        self._event(instance, "terminating", reason=reason)
        instance.stopper = threading.Thread(
            target=self._stop_instance, args=(instance,), name=f"stop-{instance.id}", daemon=True
        )
        instance.stopper.start()

    def _stop_instance(self, instance: Instance) -> None:
        with contextlib.suppress(Exception):
            self.balancer.remove(instance.service, instance.id)
        assert instance.process is not None
        code = instance.process.stop(self.services[instance.service].stop_grace)
        instance.process.close_logs()
        with self._lock:
            instance.state, instance.exit_code = InstanceState.TERMINATED, code
            instance.ended_at = datetime.now(UTC)
            instance.health = (
                TargetHealth.UNUSED if instance.health is not TargetHealth.UNHEALTHY else instance.health
            )
        self._event(instance, "terminated", exit_code=code)

    def _schedule_replacement(self, instance: Instance, now: float) -> None:
        if instance.service in self._suspended or self._stop.is_set():
            return
        failures = self._failures.get(instance.service, 0) + 1
        self._failures[instance.service] = failures
        delay = 0.0 if failures <= 1 else min(MAX_REPLACEMENT_DELAY, 0.25 * 2 ** (failures - 1))
        self._replacements.append(_Replacement(due=now + delay, old=instance))
        self._event(instance, "replacement scheduled", delay=delay)

    def _prune(self) -> None:
        ended = [i for i in self._instances.values() if i.state is InstanceState.TERMINATED]
        for instance in sorted(ended, key=lambda i: i.started_mono)[: max(0, len(ended) - _KEEP_TERMINATED)]:
            del self._instances[instance.id]

    def _event(self, instance: Instance, event: str, **fields: Any) -> None:
        if self._on_event is not None:
            record = {"event": event, "service": instance.service, "instance": instance.id}
            record |= {"version": instance.version, **fields}
            with contextlib.suppress(Exception):
                self._on_event(record)

    def stop(self) -> None:
        """Stop the loop, then every instance at once (no drain, no replacement); wait for all."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            self._replacements.clear()
            for instance in self._instances.values():
                if instance.state is not InstanceState.TERMINATED and instance.stopper is None:
                    self._begin_stop(instance, reason="provider stopping")
            stoppers = [i.stopper for i in self._instances.values() if i.stopper is not None]
        for stopper in stoppers:
            stopper.join()
