"""``/drills``: start a disaster-recovery drill (operator; datastore-loss destroys data, so it
must be confirmed), list drills and read their reports (viewer)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from pydantic import Field, StrictBool, StrictInt

from fleetops.control.drill_reports import drill_report, list_drills
from fleetops.errors import BadInput
from fleetops.server.auth import Role, require
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.deployments import DeploymentsDep, Operator

router = RouteTable(tags=["drills"], responses=error_responses(*AUTHENTICATED, 404, 409, 423))
viewer = [Depends(require(Role.VIEWER))]


class DrillBody(StrictModel):
    """Drill ``scenario`` in ``environment`` (default: the only one running)."""

    scenario: Literal["datastore-loss", "instance-failure", "control-plane-crash", "environment-failover"]
    environment: str | None = Field(None, min_length=1, max_length=100)
    datastore: str | None = Field(None, min_length=1, max_length=100)
    """datastore-loss: the datastore destroyed (default: the only one in use)."""
    service: str | None = Field(None, min_length=1, max_length=100)
    """instance-failure: the service whose instances are killed."""
    count: StrictInt = Field(1, ge=1, le=1000)
    """instance-failure: how many instances are killed."""
    version: str | None = Field(None, min_length=1, max_length=100)
    """control-plane-crash: the version its deployment rolls out."""
    services: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(None, max_length=100)
    """control-plane-crash: the services deployed (default: every one the version changes)."""
    standby: str | None = Field(None, min_length=1, max_length=100)
    """environment-failover: the standby brought up (default: the only one of the environment)."""
    scratch: StrictBool = False
    """datastore-loss: in a scratch copy of the environment, whose own data is not touched (no
    ``confirm`` needed)."""
    confirm: StrictBool = False
    """datastore-loss destroys the datastore's data, environment-failover stops the environment:
    it must be true."""
    baseline_seconds: StrictInt | None = Field(None, ge=1, le=3600)
    """How long the steady client runs before the outage (default 2)."""
    dry_run: StrictBool = False


@router.post("/drills", name="drills.start", status_code=201)
async def start_drill(
    body: DrillBody, request: Request, deployments: DeploymentsDep, caller: Operator
) -> dict[str, Any]:
    """Start a drill runbook; with ``dry_run`` its plan, nothing changed. Refused (400) without
    ``confirm`` for datastore-loss and environment-failover, without targets (``drills:``) in
    the fleet file, without a verified backup; (423) while the environment's lock is held."""
    if body.environment is not None:
        check_request_names(request, environments=[body.environment])
    if body.standby is not None:
        check_request_names(request, environments=[body.standby])
    if body.services:
        check_request_names(request, services=body.services)
    if body.scratch and body.scenario != "datastore-loss":
        raise BadInput(f"scratch: only datastore-loss runs in a scratch copy, not {body.scenario}")
    if body.scenario == "datastore-loss" and not (body.confirm or body.dry_run or body.scratch):
        raise BadInput(
            "datastore-loss destroys the datastore's data on the running environment: "
            "confirm it (confirm: true; the CLI's --yes), or drill a scratch copy of it (scratch: true; "
            "the CLI's --scratch)"
        )
    if body.scenario == "environment-failover" and not body.confirm and not body.dry_run:
        raise BadInput(
            "environment-failover stops the running environment and brings its standby up in its "
            "place: confirm it (confirm: true; the CLI's --yes)"
        )
    return deployments.drill(
        scenario=body.scenario,
        environment=body.environment,
        requested_by=caller.name,
        datastore=body.datastore,
        service=body.service,
        count=body.count,
        version=body.version,
        services=body.services,
        standby=body.standby,
        scratch=body.scratch,
        baseline_seconds=body.baseline_seconds,
        dry_run=body.dry_run,
    )


@router.get("/drills", name="drills.list", dependencies=viewer)
def get_drills(
    deployments: DeploymentsDep,
    environment: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Drills, newest first, with their reports."""
    return {"drills": list_drills(deployments.executions, environment=environment, limit=limit)}


@router.get("/drills/{name}", name="drills.report", dependencies=viewer)
def get_drill(deployments: DeploymentsDep, name: Annotated[str, Path(max_length=100)]) -> dict[str, Any]:
    """One drill's report (or, while it runs, its plan and status)."""
    return drill_report(deployments.executions, name, environment=None)
