"""``/releases``: the pinned releases of each service, newest first (viewer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import Field

from fleetops.redaction import redact
from fleetops.server.auth import Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import QueryModel
from fleetops.server.route_table import RouteTable
from fleetops.store.releases import ReleaseStatus

router = RouteTable(tags=["releases"], responses=error_responses(*AUTHENTICATED))


class ReleaseQuery(QueryModel):
    """Filters of ``GET /releases``; unknown parameters are refused."""

    environment: str | None = None
    service: str | None = None
    status: ReleaseStatus | None = None
    execution_id: str | None = None
    limit: int = Field(50, ge=1, le=1000)


@router.get("/releases", name="releases.list", dependencies=[Depends(require(Role.VIEWER))])
def list_releases(
    request: Request, store: StoreDep, query: Annotated[ReleaseQuery, Query()]
) -> dict[str, Any]:
    """Releases matching every filter, newest first; configs pass through secret redaction."""
    check_request_names(request, environments=[query.environment], services=[query.service])
    found = store.releases.list(**query.model_dump())
    return {"releases": [redact_release(release.to_json()) for release in found]}


def redact_release(release: dict[str, Any]) -> dict[str, Any]:
    """A release's JSON with anything secret-looking in its config hidden (versions stay)."""
    return {**release, "config": redact(release["config"])}
