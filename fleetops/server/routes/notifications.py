"""``/notifications``: the delivery record of notifications, newest first (viewer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import Field

from fleetops.server.auth import Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import QueryModel
from fleetops.server.route_table import RouteTable

router = RouteTable(tags=["notifications"], responses=error_responses(*AUTHENTICATED))


class DeliveryQuery(QueryModel):
    """Filters of ``GET /notifications``; unknown parameters are refused."""

    channel: str | None = None
    execution_id: str | None = None
    limit: int = Field(50, ge=1, le=1000)


@router.get("/notifications", name="notifications.list", dependencies=[Depends(require(Role.VIEWER))])
def list_deliveries(
    request: Request, store: StoreDep, query: Annotated[DeliveryQuery, Query()]
) -> dict[str, Any]:
    """Deliveries (sent, failed, duplicate, pending) with attempts and the last error."""
    check_request_names(request, channels=[query.channel])
    found = store.notifications.list(**query.model_dump())
    return {"deliveries": [delivery.to_json() for delivery in found]}
