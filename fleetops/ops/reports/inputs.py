"""What a report reads, as narrow values the control plane fills from the store (executions of
the built-in runbooks, their releases and histories) and the load balancer's access log; the
figures are computed from these alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReleaseSeen:
    """A release a deployment pinned."""

    service: str
    number: int
    status: str
    """pinned, verified, failed, rolled_back."""
    created_at: datetime
    verified_at: datetime | None = None


@dataclass(frozen=True)
class DeploymentSeen:
    """One execution of the deploy runbook (``deploy`` or ``promote``) that pinned releases."""

    name: str
    status: str
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED."""
    started: datetime
    stopped: datetime | None
    releases: tuple[ReleaseSeen, ...] = ()
    error: str | None = None
    """The failure's error name (``fleetops.RolloutFailed``, ``States.Timeout``)."""
    cause: str | None = None
    """The failure's message, as people read it."""
    failed_step: str | None = None
    """The task that failed first (``deploy-service``, ``deploy-check-health``…)."""
    failed_service: str | None = None
    """The service whose rollout or gate failed, when the failure names one."""
    failed_at: datetime | None = None
    """When the failure was seen (the first failed task), the start of the time to restore."""

    @property
    def finished(self) -> bool:
        """Ended, one way or the other."""
        return self.status != "RUNNING" and self.stopped is not None

    @property
    def succeeded(self) -> bool:
        """Ended with every release verified."""
        return self.status == "SUCCEEDED"


@dataclass(frozen=True)
class RollbackSeen:
    """One execution of the rollback runbook (``fleetops rollback``, or after a ``stop``)."""

    name: str
    status: str
    started: datetime
    stopped: datetime | None
    requested_by: str


@dataclass(frozen=True)
class ServiceTraffic:
    """A service's requests and 5XX answers at the load balancer over the report's window."""

    service: str
    requests: int
    errors: int
    slo: float | None = None
    """The fleet file's availability objective in percent (99.9); None: none declared."""


@dataclass(frozen=True)
class IncidentSeen:
    """An incident of the environment (``fleetops incident``)."""

    severity: str
    """SEV1 .. SEV4."""
    opened: datetime
    resolved: datetime | None
