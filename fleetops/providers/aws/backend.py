"""What the aws runtime asks of one service on AWS, whether an Auto Scaling group
(``autoscaling.AutoScalingService``) or an ECS service (``ecs.EcsService``).

A *target* is what a release becomes on AWS: a launch template version number (``"7"``) or a
task definition ARN. A *refresh* is the rollout AWS runs toward a target: an instance refresh, or
an ECS deployment, both described in the words of DescribeInstanceRefreshes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Refresh:
    """An instance refresh (or an ECS deployment) as DescribeInstanceRefreshes shows it."""

    id: str
    status: str
    """AWS's words: Pending, InProgress, Baking, Successful, Failed, Cancelling, Cancelled,
    RollbackInProgress, RollbackSuccessful, RollbackFailed."""
    status_reason: str
    percentage_complete: int
    instances_to_update: int
    started_at: datetime | None
    ended_at: datetime | None
    target: str | None
    """The launch template version (or task definition) it moves to."""


@dataclass(frozen=True)
class AwsInstance:
    """One instance of the group with its target health."""

    id: str
    version: str
    state: str
    """The Auto Scaling lifecycle state: Pending, InService, Terminating…"""
    health: str
    """The target group's word: initial, healthy, unhealthy, draining, unused."""
    health_reason: str
    address: str
    launched_at: datetime | None


@dataclass(frozen=True)
class Capacity:
    """A service's capacity and instances as AWS reports them now."""

    desired: int
    minimum: int
    maximum: int
    instances: tuple[AwsInstance, ...]


class ServiceBackend(Protocol):
    """One service on AWS (see the module docstring). Methods make AWS calls and may raise
    ``AwsError`` or ``MissingPermission``."""

    service: str

    def release_target(self, environment: str, number: int, version: str) -> str:
        """The target of release ``number`` (made from the current one if it does not exist yet)."""
        ...

    def current_label(self) -> str | None:
        """The release version the service runs now, from its current target's tag (None: a
        target fleetops did not make)."""
        ...

    def record_current(self, environment: str, number: int, version: str) -> str:
        """Make the current target findable as release ``number``'s (``fleetops up``'s first
        release, so a rollback can come back to it); that target."""
        ...

    def start(self, target: str, preferences: Mapping[str, Any]) -> str:
        """Start rolling out ``target``; the refresh's id."""
        ...

    def describe(self, refresh_id: str) -> Refresh:
        """One refresh now."""
        ...

    def recent(self) -> Sequence[Refresh]:
        """The service's recent refreshes, newest first (to find one started before a crash)."""
        ...

    def cancel(self, refresh_id: str) -> None:
        """Stop the refresh (it ends Cancelled)."""
        ...

    def rollback(self, refresh_id: str) -> None:
        """Stop the refresh and put back what it replaced (it ends RollbackSuccessful)."""
        ...

    def finalize(self, target: str) -> None:
        """Make ``target`` what the service launches from now on."""
        ...

    def capacity(self) -> Capacity:
        """Desired, min, max and the instances with their health."""
        ...

    def set_desired(self, desired: int) -> None:
        """Change the desired count."""
        ...

    def activities(self) -> Sequence[Mapping[str, Any]]:
        """Scaling activities (DescribeScalingActivities items, or ECS service events), newest first."""
        ...

    def endpoint(self) -> str:
        """The URL of the service's load balancer, or a sentence saying why there is none."""
        ...
