"""The Provider protocol: how the rest of fleetops starts, drains, stops and observes instances
(and ``ManagedProvider``: one the control plane also scales).

Words follow AWS: an instance's lifecycle state is the Auto Scaling one (Pending → InService →
Draining → Terminating → Terminated) and its health the ELB target-group one (initial, healthy,
unhealthy, draining, unused). Calls return at once; progress is observed by listing instances,
as one polls `describe-auto-scaling-instances` and `describe-target-health`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

SECRET_VERSIONS_ENV = "FLEETOPS_SECRET_VERSIONS"
"""The env var holding ``{"secret": "version id"}`` of the values an instance was given: a
release's pins on the way in (launch ``env``), what was handed out once it starts (an instance
may echo it on its health endpoint: that is how a rotation proves every instance picked the new
value up)."""


class InstanceState(StrEnum):
    """Lifecycle of an instance (the Auto Scaling words)."""

    PENDING = "Pending"
    IN_SERVICE = "InService"
    DRAINING = "Draining"
    TERMINATING = "Terminating"
    TERMINATED = "Terminated"


class TargetHealth(StrEnum):
    """Health of an instance as its load balancer sees it (the target-group words)."""

    INITIAL = "initial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    DRAINING = "draining"
    UNUSED = "unused"


@dataclass(frozen=True)
class InstanceInfo:
    """One instance as observed now."""

    id: str
    service: str
    version: str
    state: InstanceState
    address: str
    port: int
    started_at: datetime
    health: TargetHealth
    health_reason: str = ""
    """Why the load balancer sees it so (the last check's result), empty when healthy."""
    pid: int | None = None
    exit_code: int | None = None
    """The process's exit status once it has ended (negative: killed by that signal)."""
    replaces: str | None = None
    """The instance this one was launched to replace (after it exited or failed health)."""
    ended_at: datetime | None = None


@dataclass(frozen=True)
class TargetStats:
    """Load-balancer counters of one instance (HAProxy `show stat` / ALB target metrics)."""

    service: str
    instance_id: str
    status: str
    """The balancer's own status word: UP, DOWN, DRAIN, MAINT, "UP 1/3"…"""
    current_sessions: int
    total_sessions: int
    requests_total: int
    responses_by_class: Mapping[str, int]
    """Counts of responses by class: ``1xx`` … ``5xx`` and ``other``."""
    connection_errors: int
    response_errors: int
    retries: int
    redispatches: int
    avg_response_time_ms: int
    """Average over the last 1024 requests."""
    avg_total_time_ms: int
    check_status: str
    """Last health check result: L7OK, L7STS (bad status), L4CON (refused), L4TOUT…"""
    check_code: int | None
    check_duration_ms: int | None


@runtime_checkable
class Provider(Protocol):
    """Where instances run. Every method returns promptly; transitions happen in the background."""

    def start(self) -> None:
        """Bring up the provider's machinery (load balancer, supervisor). Idempotent."""

    def stop(self) -> None:
        """Stop every instance and the machinery; nothing the provider started is left running."""

    def endpoint(self, service: str) -> str:
        """The URL of ``service``'s load balancer."""

    def launch(self, service: str, version: str, *, env: Mapping[str, str] | None = None) -> InstanceInfo:
        """Start one instance of ``service`` at ``version``; it registers with the load balancer
        and becomes InService once its health checks pass."""

    def deregister(self, instance_id: str) -> InstanceInfo:
        """Take the instance out of its load balancer (draining: in-flight requests finish, for at
        most the deregistration delay) and keep it running until ``terminate``."""

    def terminate(self, instance_id: str, *, drain: bool = True) -> InstanceInfo:
        """Deregister (draining in-flight requests for the deregistration delay unless
        ``drain`` is false), then stop the instance. It is not replaced."""

    def instances(
        self, service: str | None = None, *, include_terminated: bool = False
    ) -> list[InstanceInfo]:
        """Instances, oldest first; of one service when ``service`` is given."""

    def instance(self, instance_id: str) -> InstanceInfo:
        """One instance; KeyError if unknown."""

    def target_stats(self, service: str) -> list[TargetStats]:
        """Load-balancer counters of ``service``'s registered instances."""

    def logs(
        self, service: str, *, instance_id: str | None = None, limit: int = 100
    ) -> Sequence[Mapping[str, Any]]:
        """The last ``limit`` log records of a service (or one instance), oldest first."""


@dataclass(frozen=True)
class ProcessUsage:
    """CPU and memory of one instance's process (the local provider reads /proc)."""

    cpu_seconds: float
    """User plus system CPU time since the process started."""
    rss_bytes: int
    """Resident memory."""
    threads: int
    open_sockets: int | None = None
    """Sockets the process holds open (listening and connected; None: not known)."""


class ManagedProvider(Provider, Protocol):
    """A Provider that also scales, suspends its own replacement of failed instances, and
    reports per-instance CPU (the local provider; the aws one maps these to ASG calls)."""

    def suspend_replacement(self, service: str, suspended: bool = True) -> None:
        """Stop (or resume) replacing ``service``'s instances that exit or fail health."""

    def scale(
        self, service: str, desired: int, *, version: str, env: Mapping[str, str] | None = None
    ) -> list[InstanceInfo]:
        """Launch or terminate instances until ``desired`` are Pending or InService."""

    def usage(self, instance_id: str) -> ProcessUsage | None:
        """CPU time and memory of a running instance (None once it has ended)."""
