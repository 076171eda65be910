"""``/fleet`` (status, scale, logs) and ``/rollouts`` (start, describe, cancel) of the server's fleet.

They act on ``app.state.fleet``, the fleet runtime the server was started with (``fleetops
server --fleet FILE --env ENV``, or ``fleetops up``); without one they answer 409.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from fleetops.control.rollouts import FleetControl, RolloutRequest
from fleetops.rollout import RefreshPreferences
from fleetops.server.auth import Role, require
from fleetops.server.errors import ApiError

router = APIRouter(tags=["fleet"])
viewer = [Depends(require(Role.VIEWER))]
operator = [Depends(require(Role.OPERATOR))]


def get_fleet(request: Request) -> FleetControl:
    """The app's fleet runtime; 409 when the server runs none."""
    runtime: FleetControl | None = getattr(request.app.state, "fleet", None)
    if runtime is None:
        raise ApiError(
            409, "this server runs no fleet: start it with `fleetops up` or `fleetops server --fleet FILE`"
        )
    return runtime


FleetDep = Annotated[FleetControl, Depends(get_fleet)]


class ScaleBody(BaseModel):
    """Set a service's desired instance count (within its min..max)."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=100)
    desired: int = Field(ge=0, le=10_000)


class RolloutBody(BaseModel):
    """Start a rollout; ``rollout_id`` makes it idempotent (default: a new id)."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=200)
    release_number: int = Field(0, ge=0)
    rollout_id: str | None = Field(None, min_length=1, max_length=300, pattern=r"^[^/\s]+$")
    environment: str | None = Field(None, max_length=100, description="Default: the server's environment.")
    preferences: dict[str, Any] | None = Field(
        None, description="AWS instance refresh Preferences JSON; default: the service's deploy settings."
    )


@router.get("/fleet", name="fleet.status", dependencies=viewer)
def fleet_status(fleet: FleetDep) -> dict[str, Any]:
    """Services, their instances, versions and health, and their load-balancer endpoints."""
    return fleet.status().to_json()


@router.post("/fleet/scale", name="fleet.scale", dependencies=operator)
def fleet_scale(body: ScaleBody, fleet: FleetDep) -> dict[str, Any]:
    """Set the desired count; instances are launched or drained in the background."""
    fleet.scale(body.service, body.desired)
    return {"service": body.service, "desired": body.desired}


@router.get("/fleet/logs", name="fleet.logs", dependencies=viewer)
def fleet_logs(
    fleet: FleetDep,
    service: Annotated[str, Query(min_length=1, max_length=100)],
    instance: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    filter: Annotated[str | None, Query(max_length=1000, description="A CloudWatch filter pattern.")] = None,
) -> dict[str, Any]:
    """The last ``limit`` log records of a service (or one instance), oldest first."""
    return {"records": fleet.logs(service, instance_id=instance, limit=limit, pattern=filter)}


@router.get("/fleet/activities", name="fleet.activities", dependencies=viewer)
def fleet_activities(
    fleet: FleetDep, service: Annotated[str | None, Query(max_length=100)] = None
) -> dict[str, Any]:
    """Changes of desired counts, by autoscaling or operators, newest first (as
    describe-scaling-activities lists them)."""
    return {"activities": [a.to_json() for a in fleet.scaling_activities(service)]}


@router.post("/rollouts", name="rollouts.start", dependencies=operator)
def start_rollout(body: RolloutBody, fleet: FleetDep) -> dict[str, Any]:
    """Start replacing the service's instances with ``version``; a known id returns that rollout."""
    preferences = RefreshPreferences.from_aws(body.preferences) if body.preferences is not None else None
    request = RolloutRequest(
        rollout_id=body.rollout_id or f"api-{uuid.uuid4().hex[:12]}",
        environment=body.environment or fleet.environment,
        service=body.service,
        version=body.version,
        release_number=body.release_number,
        preferences=preferences,
    )
    return fleet.start_rollout(request).to_json()


@router.get("/rollouts/{rollout_id}", name="rollouts.describe", dependencies=viewer)
def describe_rollout(rollout_id: str, fleet: FleetDep) -> dict[str, Any]:
    """The rollout as DescribeInstanceRefreshes shows it."""
    try:
        return fleet.describe_rollout(rollout_id).to_json()
    except KeyError:
        raise ApiError(404, f"no rollout {rollout_id!r}") from None


@router.post("/rollouts/{rollout_id}/cancel", name="rollouts.cancel", dependencies=operator)
def cancel_rollout(rollout_id: str, fleet: FleetDep) -> dict[str, Any]:
    """Stop replacing instances (instances already replaced stay)."""
    try:
        return fleet.cancel_rollout(rollout_id).to_json()
    except KeyError:
        raise ApiError(404, f"no rollout {rollout_id!r}") from None
