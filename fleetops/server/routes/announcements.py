"""``POST /notifications/announce``: an ad-hoc announcement (``fleetops notify``) sent to the
fleet file's channels that take its level (operator): seed 001's emergency notification before
maintenance. It is the event ``announcement.posted``, deduplicated, redacted and recorded as any
notification is; the answer is its deliveries."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, Request
from pydantic import Field

from fleetops.ops.notify import DeploymentEvent, EventKind, notify
from fleetops.server.auth import Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.request_models import EnumText, StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.server.routes.fleet import pick_fleet
from fleetops.spec.levels import Level

router = RouteTable(tags=["notifications"], responses=error_responses(*AUTHENTICATED, 409, 423))


class Announcement(StrictModel):
    """What to announce, how urgently, for which environment."""

    level: EnumText[Level]
    message: str = Field(min_length=1, max_length=2000)
    environment: str | None = Field(None, max_length=100, description="Default: the only one running.")


@router.post(
    "/notifications/announce",
    name="notifications.announce",
    dependencies=[Depends(require(Role.OPERATOR))],
)
def announce(body: Announcement, request: Request, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """Send the announcement to every channel subscribed to ``announcement.posted`` at its level."""
    runtime = pick_fleet(request, body.environment)
    environment = runtime.environment
    now = clock.now()
    event = DeploymentEvent(
        kind=EventKind.POSTED,
        environment=environment,
        execution_id=f"announcement-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(2)}",
        at=now,
        reason=body.message,
        operation="announcement",
        level=Level(body.level),
    )
    vault = request.app.state.secrets
    deliveries = notify(
        store,
        runtime.fleet.notifications,
        [event],
        secret_values=request.app.state.environments.secret_values(environment),
        secret_value=lambda name: vault.lookup(environment, name),
        clock=clock,
    )
    return {
        "event": event.name,
        "environment": environment,
        "level": event.severity.value,
        "deliveries": [{"channel": d.channel, "status": str(d.status), "error": d.error} for d in deliveries],
    }
