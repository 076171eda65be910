"""Rollouts as the control plane exposes them: what a caller asks for, and what it sees.

A rollout replaces one service's instances in one environment with a release (EC2 Auto Scaling
instance refresh semantics, run by :mod:`fleetops.rollout`). The deploy runbooks start them by a
caller-chosen ``rollout_id`` (the idempotency key: the same id never starts a second rollout)
and follow them with ``describe_rollout``. Types shared by ``FleetRuntime`` (branch fleet) and
the runbooks (branch deploy), per the contract in ``notes/contracts.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fleetops.rollout import RefreshPreferences

TERMINAL_STATUSES = frozenset({"Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"})
"""Statuses after which a rollout changes nothing more."""


@dataclass(frozen=True)
class RolloutRequest:
    """Replace ``service``'s instances in ``environment`` with release ``release_number``."""

    rollout_id: str
    """Caller-chosen idempotency key, e.g. ``f"{execution_name}:{service}:{release_number}"``."""
    environment: str
    service: str
    version: str
    """The release's version."""
    release_number: int
    preferences: RefreshPreferences | None = None
    """None: the service's deploy settings from the fleet file."""


@dataclass(frozen=True)
class RolloutView:
    """A rollout as DescribeInstanceRefreshes shows one; JSON-able with :meth:`to_json`."""

    rollout_id: str
    environment: str
    service: str
    version: str
    release_number: int
    status: str
    """Pending|InProgress|Baking|Successful|Failed|Cancelling|Cancelled|RollbackInProgress|
    RollbackSuccessful|RollbackFailed."""
    status_reason: str
    percentage_complete: int
    instances_to_update: int
    checkpoint: str | None
    started_at: datetime
    ended_at: datetime | None
    failure: str | None
    """The rendered failure report (instance, last probes with timings, last log lines)."""

    @property
    def terminal(self) -> bool:
        """Whether the rollout has ended."""
        return self.status in TERMINAL_STATUSES

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values (times as ISO 8601)."""
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


class RolloutRuntime(Protocol):
    """The part of ``FleetRuntime`` the runbooks use (one environment of one fleet)."""

    def start_rollout(self, request: RolloutRequest) -> RolloutView:
        """Start a rollout, or return the one already started with that ``rollout_id``."""
        ...

    def describe_rollout(self, rollout_id: str) -> RolloutView:
        """The rollout now; KeyError if unknown."""
        ...

    def cancel_rollout(self, rollout_id: str) -> RolloutView:
        """Stop replacing instances; the rollout ends Cancelled."""
        ...

    def current_versions(self) -> dict[str, str]:
        """Service -> the version its instances run."""
        ...
