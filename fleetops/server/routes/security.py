"""``GET /security/audit``: the security audit of an environment and of this server (admin: it
names tokens). Findings carry a severity and a fix, never a secret's value."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from fleetops.control.security_audit import security_audit
from fleetops.server.auth import Role, require
from fleetops.server.deps import RedactorDep, StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.server.routes.fleet import FleetDep

router = RouteTable(tags=["security"], responses=error_responses(*AUTHENTICATED, 409, 423))


@router.get("/security/audit", name="security.audit", dependencies=[Depends(require(Role.ADMIN))])
def audit(
    request: Request, *, fleet: FleetDep, store: StoreDep, redactor: RedactorDep, clock: ClockDep
) -> dict[str, Any]:
    """Tokens never or long unused, without expiry, admin tokens, secret-looking values in the
    fleet file, secrets overdue for rotation, state files others may read, the control plane or
    instances listening beyond loopback, audit log gaps; each with its severity and fix."""
    settings = request.app.state.settings
    found = security_audit(
        fleet,
        store,
        state_dir=settings.state_dir,
        host=settings.host,
        fleet_file=str(settings.fleet_file or "fleet.yaml"),
        now=clock.now(),
    )
    answer: dict[str, Any] = redactor.value(found.to_json())
    return answer
