"""``/audit``: the audit log, newest first, with filters and paging (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from fleetops.server.auth import Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.request_models import QueryModel
from fleetops.server.route_table import RouteTable
from fleetops.store import Outcome

router = RouteTable(tags=["audit"], responses=error_responses(*AUTHENTICATED))
# Beyond any audit log, and within every database's integers (a larger one overflowed: 500).
MAX_OFFSET = 2**31 - 1


class AuditEntryOut(BaseModel):
    """One audit log entry."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    arguments: dict[str, Any]
    outcome: Outcome
    error: str | None


class AuditPage(BaseModel):
    """A page of entries, the number matching the filters, and where the next page starts."""

    entries: list[AuditEntryOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class AuditQuery(QueryModel):
    """Filters and paging of ``GET /audit``; unknown parameters are refused."""

    actor: str | None = None
    action: str | None = Field(None, description="exact, or a prefix ending in * (tokens.*)")
    target: str | None = None
    outcome: Outcome | None = None
    since: AwareDatetime | None = Field(None, description="inclusive; ISO 8601 with a time zone")
    until: AwareDatetime | None = Field(None, description="exclusive; ISO 8601 with a time zone")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/audit", name="audit.list", dependencies=[Depends(require(Role.ADMIN))])
def list_audit(store: StoreDep, query: Annotated[AuditQuery, Query()]) -> AuditPage:
    """Audit entries matching every given filter, newest first."""
    filters = query.model_dump(exclude={"limit", "offset"})
    entries = store.audit.list(**filters, limit=query.limit, offset=query.offset)
    total = store.audit.count(**filters)
    end = query.offset + len(entries)
    return AuditPage(
        entries=[AuditEntryOut(**entry.to_json()) for entry in entries],
        total=total,
        limit=query.limit,
        offset=query.offset,
        next_offset=end if end < total else None,
    )
