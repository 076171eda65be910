"""``/health`` (no auth) and ``/whoami``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import BaseModel

from fleetops import __version__
from fleetops.server.auth import Principal, Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import error_responses
from fleetops.server.route_table import RouteTable

router = RouteTable(tags=["system"])


class Health(BaseModel):
    """The server is up; which version, on which kind of store."""

    status: str
    version: str
    store: str


class WhoAmI(BaseModel):
    """The caller's token name and role."""

    name: str
    role: Role


@router.get("/health", name="health")
def health(store: StoreDep) -> Health:
    """Liveness, version and store kind; needs no token."""
    return Health(status="ok", version=__version__, store=str(store.kind))


@router.get("/whoami", name="whoami", responses=error_responses(401, 403))
def whoami(principal: Annotated[Principal, Depends(require(Role.VIEWER))]) -> WhoAmI:
    """The token the request was made with."""
    return WhoAmI(name=principal.name, role=principal.role)
