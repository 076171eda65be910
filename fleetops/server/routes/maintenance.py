"""``/maintenance`` windows and ``/blocks`` of services: read (viewer), change (operator)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import Field

from fleetops.ops.maintenance import (
    DEFAULT_WINDOW,
    block_services,
    end_maintenance,
    maintenance_status,
    start_maintenance,
    unblock_services,
)
from fleetops.server.auth import Principal, Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.spec.duration_field import Duration
from fleetops.store.maintenance import scope_of

router = RouteTable(tags=["maintenance"], responses=error_responses(*AUTHENTICATED))
operator = require(Role.OPERATOR)
EnvQuery = Annotated[str | None, Query(max_length=100, description="An environment; none: every one.")]


class MaintenanceStart(StrictModel):
    """Turn maintenance on for an environment (or every one) for a while."""

    environment: str | None = Field(None, max_length=100, description="None: every environment.")
    duration: Duration = Field(DEFAULT_WINDOW, description="How long, like 30m or 2h (at most 7d).")
    reason: str = Field(min_length=1, max_length=500)


class BlockChange(StrictModel):
    """Services to block or unblock in an environment (or everywhere)."""

    services: list[Annotated[str, Field(max_length=100)]] = Field(min_length=1, max_length=100)
    environment: str | None = Field(None, max_length=100, description="None: every environment.")
    reason: str = Field("", max_length=500)


@router.get("/maintenance", name="maintenance.status", dependencies=[Depends(require(Role.VIEWER))])
def status(
    request: Request, store: StoreDep, clock: ClockDep, environment: EnvQuery = None
) -> dict[str, Any]:
    """Open windows: all, or those that stop deployments to ``environment``."""
    check_request_names(request, environments=[environment])
    windows = maintenance_status(store, environment=environment, now=clock.now())
    return {"windows": [window.to_json() for window in windows]}


@router.post("/maintenance", name="maintenance.start", status_code=201)
def start(
    body: MaintenanceStart,
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    caller: Annotated[Principal, Depends(operator)],
) -> dict[str, Any]:
    """Open a maintenance window now; it ends by itself after ``duration``."""
    check_request_names(request, environments=[body.environment])
    window = start_maintenance(
        store,
        environment=body.environment,
        duration=body.duration,
        reason=body.reason,
        by=caller.name,
        clock=clock,
    )
    return window.to_json()


@router.delete("/maintenance", name="maintenance.end")
def end(
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    caller: Annotated[Principal, Depends(operator)],
    environment: EnvQuery = None,
) -> dict[str, Any]:
    """End the open window of ``environment`` (none: the every-environment one) early."""
    check_request_names(request, environments=[environment])
    ended = end_maintenance(store, environment=environment, by=caller.name, clock=clock)
    return {"environment": environment, "ended": None if ended is None else ended.to_json()}


@router.get("/blocks", name="blocks.list", dependencies=[Depends(require(Role.VIEWER))])
def list_blocks(request: Request, store: StoreDep, environment: EnvQuery = None) -> dict[str, Any]:
    """Blocked services: all, or those blocked in ``environment`` (itself or everywhere)."""
    check_request_names(request, environments=[environment])
    scopes = None if environment is None else [environment, scope_of(None)]
    return {"blocks": [block.to_json() for block in store.maintenance.blocks(scopes)]}


@router.post("/block", name="blocks.add")
def block(
    body: BlockChange,
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    caller: Annotated[Principal, Depends(operator)],
) -> dict[str, Any]:
    """Refuse deployments of ``services`` until they are unblocked; the blocks in place."""
    check_request_names(request, environments=[body.environment], services=body.services)
    blocks = block_services(
        store,
        body.services,
        environment=body.environment,
        reason=body.reason or "blocked",
        by=caller.name,
        clock=clock,
    )
    return {"blocks": [item.to_json() for item in blocks]}


@router.post("/unblock", name="blocks.remove", dependencies=[Depends(operator)])
def unblock(body: BlockChange, request: Request, store: StoreDep) -> dict[str, Any]:
    """Allow deployments of ``services`` again; the blocks removed."""
    check_request_names(request, environments=[body.environment], services=body.services)
    removed = unblock_services(store, body.services, environment=body.environment)
    return {"removed": [item.to_json() for item in removed]}
