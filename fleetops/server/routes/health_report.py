"""``GET /health/report``: one health verdict of an environment with each check's evidence.

``GET /health`` stays the server's own liveness probe (no token); this one needs a viewer and
reads the environment's fleet runtime (``?environment=``, chosen as the ``/fleet`` routes choose
it), its store, alarms and access log (see ``fleetops.control.health_report``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from fleetops.control.deployments import machine_name
from fleetops.control.health_report import health_report
from fleetops.ops.health import Checklist
from fleetops.runbooks import RUNBOOKS
from fleetops.server.auth import Role, require
from fleetops.server.deps import RedactorDep, StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.server.routes.deployments import DeploymentsDep
from fleetops.server.routes.fleet import FleetDep

router = RouteTable(tags=["health"], responses=error_responses(*AUTHENTICATED, 400, 409, 423))


@router.get("/health/report", name="health.report", dependencies=[Depends(require(Role.VIEWER))])
def report(
    *,
    fleet: FleetDep,
    store: StoreDep,
    deployments: DeploymentsDep,
    redactor: RedactorDep,
    clock: ClockDep,
    checklist: Annotated[
        str,
        Query(
            max_length=100,
            description="pre-deploy, post-deploy, daily, or one of the fleet file's `checklists`; "
            "default: all.",
        ),
    ] = Checklist.ALL.value,
    version: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The version the next deployment would deploy: the version check looks for "
            "the image its release would use (aws) and its releases here; default: that check is skipped.",
        ),
    ] = None,
) -> dict[str, Any]:
    """The verdict (healthy, degraded, failing) and every check's outcome with its evidence."""
    engine = deployments.executions.engine
    machines = [engine.state_machine_arn(machine_name(runbook)) for runbook in RUNBOOKS]
    found = health_report(fleet, store, machines, checklist=checklist, now=clock.now(), version=version)
    answer: dict[str, Any] = redactor.value(found.to_json())
    return answer
