"""``/environments``: which environments of the server's fleet run; start or stop one.

``fleetops up --env stage`` calls ``POST /environments`` when a server already runs for the
fleet file, so one control plane runs dev and stage side by side (and ``fleetops promote dev
stage`` can deploy to stage what dev verified). Starting or stopping processes on this machine
is the admin's business; listing is a viewer's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request, Response
from pydantic import Field

from fleetops.control.environments import Environments
from fleetops.errors import Refused
from fleetops.server.auth import Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.request_models import StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.server.settings import record_environments
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import LocalSettings
from fleetops.spec.resources import Version

router = RouteTable(tags=["environments"], responses=error_responses(*AUTHENTICATED, 409, 423))
viewer = [Depends(require(Role.VIEWER))]
admin = [Depends(require(Role.ADMIN))]
EnvironmentName = Annotated[str, Path(min_length=1, max_length=100)]
NO_FLEET = "this server runs no fleet: start it with `fleetops up` or `fleetops server --fleet FILE`"


def get_environments(request: Request) -> Environments:
    """The app's environments."""
    environments: Environments = request.app.state.environments
    return environments


EnvironmentsDep = Annotated[Environments, Depends(get_environments)]


class StartBody(StrictModel):
    """Start ``environment`` of the server's fleet file; services start at ``version`` the first time."""

    environment: str = Field(min_length=1, max_length=100)
    version: Version = "v1"


def _listing(environments: Environments, fleet: Fleet) -> dict[str, Any]:
    running = environments.names()
    return {
        "fleet": fleet.name,
        "fleet_file": None if environments.fleet_file is None else str(environments.fleet_file),
        "running": running,
        "environments": [
            {
                "name": name,
                "provider": settings.provider,
                "running": name in running,
                "approval": str(settings.approval),
                "promote_from": settings.promote_from,
                "runs_here": isinstance(settings, LocalSettings),
            }
            for name, settings in fleet.environments.items()
        ],
    }


def _fleet(environments: Environments) -> Fleet:
    fleet = environments.fleet
    if fleet is None:
        raise ApiError(409, NO_FLEET)
    return fleet


@router.get("/environments", name="environments.list", dependencies=viewer)
def list_environments(environments: EnvironmentsDep) -> dict[str, Any]:
    """Every environment of the fleet file, and whether this control plane runs it."""
    return _listing(environments, _fleet(environments))


@router.post("/environments", name="environments.start", dependencies=admin)
def start_environment(
    body: StartBody, environments: EnvironmentsDep, request: Request, response: Response
) -> dict[str, Any]:
    """Start the environment (its processes are launched; ``GET /fleet?environment=`` says when
    they are ready): 201, or 200 when it already runs. The fleet file is read again first."""
    _fleet(environments)
    _, started = environments.add(body.environment, body.version)
    record_environments(request.app.state.settings.state_dir, environments.names())
    response.status_code = 201 if started else 200
    listing = _listing(environments, _fleet(environments))
    return {"environment": body.environment, "started": started, **listing}


@router.delete("/environments/{environment}", name="environments.stop", dependencies=admin)
def stop_environment(
    environment: EnvironmentName,
    environments: EnvironmentsDep,
    store: StoreDep,
    request: Request,
    clock: ClockDep,
) -> dict[str, Any]:
    """Stop the environment and every process it started; refused while a deployment holds its
    lock (stop that first: ``fleetops stop EXECUTION``)."""
    _fleet(environments)
    environments.runtime_for(environment)
    lock = store.locks.get(environment)
    now = clock.now()
    if lock is not None and not lock.expired(now):
        raise Refused(
            f"environment {environment!r} is locked by {lock.owner!r} ({lock.reason}): wait for it to "
            f"end, or stop it first (fleetops stop {lock.owner})"
        )
    environments.remove(environment)
    record_environments(request.app.state.settings.state_dir, environments.names())
    return {"environment": environment, "stopped": True, **_listing(environments, _fleet(environments))}
