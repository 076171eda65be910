"""``/maintenance/schedules``: recurring maintenance windows (cron, length): list (viewer),
add and cancel (operator). The control plane opens each window at its time
(``fleetops.ops.maintenance_schedule``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request
from pydantic import Field

from fleetops.ops.maintenance_schedule import schedule_maintenance
from fleetops.server.auth import Principal, Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.spec.duration_field import Duration

router = RouteTable(tags=["maintenance"], responses=error_responses(*AUTHENTICATED, 400, 404))
operator = require(Role.OPERATOR)


class ScheduleCreate(StrictModel):
    """A recurring window: at each time ``cron`` names (UTC), for ``duration``."""

    cron: str = Field(min_length=1, max_length=200, description='Five fields, e.g. "0 2 * * SUN".')
    duration: Duration = Field(description="How long each window lasts, like 2h (1m to 7d).")
    reason: str = Field("scheduled maintenance", min_length=1, max_length=500)
    environment: str | None = Field(None, max_length=100, description="None: every environment.")


@router.get(
    "/maintenance/schedules", name="maintenance.schedules", dependencies=[Depends(require(Role.VIEWER))]
)
def schedules(store: StoreDep) -> dict[str, Any]:
    """The schedules not cancelled, with the last occurrence each opened."""
    return {"schedules": [s.to_json() for s in store.maintenance_schedules.list()]}


@router.post("/maintenance/schedules", name="maintenance.schedule", status_code=201)
def schedule(
    body: ScheduleCreate,
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    caller: Annotated[Principal, Depends(operator)],
) -> dict[str, Any]:
    """Add a schedule; 400 for a bad cron or length."""
    check_request_names(request, environments=[body.environment])
    added = schedule_maintenance(
        store,
        environment=body.environment,
        cron=body.cron,
        duration=body.duration,
        reason=body.reason,
        by=caller.name,
        now=clock.now(),
    )
    return added.to_json()


@router.delete(
    "/maintenance/schedules/{schedule_id}", name="maintenance.unschedule", dependencies=[Depends(operator)]
)
def cancel(
    schedule_id: Annotated[int, Path(ge=1, le=2**62)], store: StoreDep, clock: ClockDep
) -> dict[str, Any]:
    """Cancel a schedule (a window it opened stays until it ends or maintenance off)."""
    cancelled = store.maintenance_schedules.cancel(schedule_id, now=clock.now())
    if cancelled is None:
        raise ApiError(404, f"no active maintenance schedule {schedule_id}")
    return cancelled.to_json()
