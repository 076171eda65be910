"""``/locks``: who holds each environment's deployment lock (viewer); force release (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from fleetops.control.lock_release import release_lock
from fleetops.server.auth import Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.server.routes.deployments import Admin, DeploymentsDep
from fleetops.store.locks import Lock

router = RouteTable(tags=["locks"], responses=error_responses(*AUTHENTICATED, 404, 423))
Environment = Annotated[str, Path(max_length=100)]


def _out(lock: Lock, clock: ClockDep) -> dict[str, Any]:
    return {**lock.to_json(), "expired": lock.expired(clock.now())}


@router.get("/locks", name="locks.list", dependencies=[Depends(require(Role.VIEWER))])
def list_locks(store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """Every lock, by environment; ``expired`` ones are free to take."""
    return {"locks": [_out(lock, clock) for lock in store.locks.list()]}


@router.get("/locks/{environment}", name="locks.get", dependencies=[Depends(require(Role.VIEWER))])
def get_lock(environment: Environment, request: Request, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """The lock of one environment; 404 when it is not locked."""
    check_request_names(request, environments=[environment])
    lock = store.locks.get(environment)
    if lock is None:
        raise ApiError(404, f"environment {environment!r} is not locked")
    return _out(lock, clock)


@router.delete("/locks/{environment}", name="locks.force_release")
async def force_release(
    environment: Environment,
    request: Request,
    *,
    deployments: DeploymentsDep,
    caller: Admin,
    clock: ClockDep,
    stop_holder: Annotated[
        bool,
        Query(description="Stop a holder still running (as `fleetops stop` does) first."),
    ] = False,
) -> dict[str, Any]:
    """Release the lock of a holder that no longer runs (a crashed deployment's); the audit log
    records who did. 423 when the holder still runs, unless ``stop_holder``: then it is stopped
    and rolled back, and its rollback holds the lock until it ends (``held_by``)."""
    check_request_names(request, environments=[environment])
    out = await release_lock(deployments, environment, stop_holder=stop_holder, by=caller.name)
    released = out["released"]
    if released is not None:
        released = {**released, "expired": datetime.fromisoformat(released["expires_at"]) <= clock.now()}
    return {**out, "released": released}
