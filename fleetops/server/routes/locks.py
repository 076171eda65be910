"""``/locks``: who holds each environment's deployment lock (viewer); force release (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from fleetops.ops.locks import force_release_lock
from fleetops.server.auth import Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import ApiError
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.store.locks import Lock

router = APIRouter(tags=["locks"])
Environment = Annotated[str, Path(max_length=100)]


def _out(lock: Lock, clock: ClockDep) -> dict[str, Any]:
    return {**lock.to_json(), "expired": lock.expired(clock())}


@router.get("/locks", name="locks.list", dependencies=[Depends(require(Role.VIEWER))])
def list_locks(store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """Every lock, by environment; ``expired`` ones are free to take."""
    return {"locks": [_out(lock, clock) for lock in store.locks.list()]}


@router.get("/locks/{environment}", name="locks.get", dependencies=[Depends(require(Role.VIEWER))])
def get_lock(environment: Environment, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """The lock of one environment; 404 when it is not locked."""
    lock = store.locks.get(environment)
    if lock is None:
        raise ApiError(404, f"environment {environment!r} is not locked")
    return _out(lock, clock)


@router.delete(
    "/locks/{environment}", name="locks.force_release", dependencies=[Depends(require(Role.ADMIN))]
)
def force_release(environment: Environment, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """Release the lock whoever holds it (a crashed deployment's); the audit log records who did."""
    return {"released": _out(force_release_lock(store, environment), clock)}
