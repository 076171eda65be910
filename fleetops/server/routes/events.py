"""``/events``: a live view of the control plane as server-sent events (``text/event-stream``).

The dashboard reads it with ``fetch`` and the ``Authorization`` header (``EventSource`` cannot
send headers, and a token in a URL would end up in logs and history). The stream sends the view
(:mod:`fleetops.server.ui.snapshots`) at once as a ``snapshot`` event, then again each time it
changed (looked at every :data:`INTERVAL_SECONDS`), a comment line as a heartbeat when nothing
changed for :data:`HEARTBEAT_SECONDS`, and a ``problem`` event when a view cannot be read for a
while (the environment was stopped): the stream goes on, and the next good view follows. The
first view is read before the answer starts, so a bad name is an ordinary 4xx error.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import StreamingResponse

from fleetops.errors import FleetopsError
from fleetops.server.auth import Role, require
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.fleet import pick_fleet
from fleetops.server.ui.snapshots import deployment_view, deployments_view, fleet_view

router = RouteTable(tags=["events"], responses=error_responses(*AUTHENTICATED, 404, 409, 423))
INTERVAL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
DEFAULT_SECONDS = 300


def _view(
    request: Request, view: str, environment: str | None, execution: str | None
) -> Callable[[], dict[str, Any]]:
    app: FastAPI = request.app
    if view == "fleet":
        pick_fleet(request, environment)  # the /fleet routes' errors: 409 without a fleet, 423...
        return lambda: fleet_view(app, environment)
    if view == "deployments":
        return lambda: deployments_view(app)
    if execution is None:
        raise ApiError(400, "view=deployment needs execution=NAME")
    return lambda: deployment_view(app, execution)


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@router.get(
    "/events",
    name="events.stream",
    dependencies=[Depends(require(Role.VIEWER))],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "A stream of views."}},
)
async def stream(
    request: Request,
    view: Annotated[Literal["fleet", "deployments", "deployment"], Query()],
    environment: Annotated[str | None, Query(max_length=100)] = None,
    execution: Annotated[str | None, Query(max_length=600)] = None,
    seconds: Annotated[
        int, Query(ge=0, le=3600, description="End the stream after this long (0: the first view only).")
    ] = DEFAULT_SECONDS,
) -> StreamingResponse:
    """The view now, then each time it changes (see the module docstring)."""
    read = _view(request, view, environment, execution)
    first = await asyncio.to_thread(read)

    async def events() -> AsyncIterator[bytes]:
        last = first
        yield _event("snapshot", first)
        quiet_since = started = time.monotonic()
        while time.monotonic() - started < seconds and not await request.is_disconnected():
            await asyncio.sleep(INTERVAL_SECONDS)
            try:
                now = await asyncio.to_thread(read)
            except FleetopsError as err:
                yield _event("problem", {"message": err.message})
                quiet_since = time.monotonic()
                continue
            if now != last:
                last = now
                yield _event("snapshot", now)
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
                yield b": still here\n\n"
                quiet_since = time.monotonic()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
