"""``GET /reports``: an environment's delivery report (deployments, rollbacks, failures, MTTR,
the DORA keys with their bands, availability and error budgets) over a period.

The window ends now (the server's clock) and starts a week (``period=weekly``, the default) or
30 days (``monthly``) before, or at ``since`` (a duration back from now, or an ISO 8601 time).
The CLI renders the JSON as text, HTML or PNG (``fleetops.ops.reports``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query

from fleetops.control.deployments import machine_name
from fleetops.control.reports import delivery_report
from fleetops.server.auth import Role, require
from fleetops.server.deps import RedactorDep, StoreDep
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.server.routes.deployments import DeploymentsDep
from fleetops.server.routes.fleet import FleetDep
from fleetops.spec.durations import parse_duration

router = RouteTable(tags=["reports"], responses=error_responses(*AUTHENTICATED, 400, 409, 423))


class Period(StrEnum):
    """A report's length, ending now."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"


PERIODS = {Period.WEEKLY: timedelta(days=7), Period.MONTHLY: timedelta(days=30)}


def window_start(now: datetime, period: Period | None, since: str | None) -> datetime:
    """Where the window starts; 400 for both or a ``since`` that is neither a duration nor a
    zoned time, or one not in the past."""
    if period is not None and since is not None:
        raise ApiError(400, "period and since: give one of them")
    if since is None:
        return now - PERIODS[period or Period.WEEKLY]
    try:
        start = now - parse_duration(since)
    except ValueError as err:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise ApiError(400, f"since: {err}, or an ISO 8601 time") from err
        if start.tzinfo is None:
            raise ApiError(400, f"since: {since} has no time zone (add Z or +00:00)") from None
    if start >= now:
        raise ApiError(400, f"since: {since} is not in the past")
    return start


@router.get("/reports", name="reports.get", dependencies=[Depends(require(Role.VIEWER))])
def report(
    *,
    fleet: FleetDep,
    store: StoreDep,
    deployments: DeploymentsDep,
    redactor: RedactorDep,
    clock: ClockDep,
    period: Annotated[Period | None, Query(description="weekly (default) or monthly.")] = None,
    since: Annotated[
        str | None,
        Query(
            max_length=40, description="From this long ago (10d) or this time (ISO 8601); not with period."
        ),
    ] = None,
) -> dict[str, Any]:
    """The report's figures, its DORA keys with their bands, and the series its plots draw."""
    now = clock.now()
    start = window_start(now, period, since)
    engine = deployments.executions.engine
    found = delivery_report(
        fleet,
        store,
        deploy_machine=engine.state_machine_arn(machine_name("deploy")),
        rollback_machine=engine.state_machine_arn(machine_name("rollback")),
        start=start,
        end=now,
    )
    answer: dict[str, Any] = redactor.value(found.to_json())
    return answer
