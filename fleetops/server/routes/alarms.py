"""``/alarms``: the states of the fleet's alarms, as ``aws cloudwatch describe-alarms`` lists them.

They come from the ``alarms`` of an environment's fleet runtime (``?environment=``, by default
the only one running; chosen as the ``/fleet`` routes choose it): a local one's ``AlarmMonitor``,
an aws one's CloudWatch alarms (DescribeAlarms); without a fleet runtime, or one that has no
alarms, the route answers 409.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol, runtime_checkable

from fastapi import APIRouter, Depends, Query, Request

from fleetops.ops.alarms import AlarmState, AlarmStatus
from fleetops.server.auth import Role, require
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import QueryModel
from fleetops.server.routes.fleet import EnvironmentQuery, pick_fleet

router = APIRouter(tags=["alarms"], responses=error_responses(*AUTHENTICATED, 409, 423))


@runtime_checkable
class AlarmReader(Protocol):
    """A runtime's alarms (``AlarmMonitor``, ``AwsAlarms``)."""

    def describe(self, *, service: str | None = None, state: str | None = None) -> list[AlarmStatus]:
        """Every alarm target, by name then service; only ``service``'s / those in ``state``."""
        ...


def get_alarms(request: Request, environment: EnvironmentQuery = None) -> AlarmReader:
    """The alarms of the environment's fleet runtime; 409 when there are none."""
    monitor = getattr(pick_fleet(request, environment), "alarms", None)
    if not isinstance(monitor, AlarmReader):
        raise ApiError(
            409, "this server runs no fleet: start it with `fleetops up` or `fleetops server --fleet FILE`"
        )
    return monitor


class AlarmQuery(QueryModel):
    """Filters of ``GET /alarms``; unknown parameters are refused."""

    service: str | None = None
    state: AlarmState | None = None
    environment: str | None = None
    """Read by ``get_alarms`` (listed here so the model does not refuse it as unknown)."""


@router.get("/alarms", name="alarms.list", dependencies=[Depends(require(Role.VIEWER))])
def list_alarms(
    request: Request,
    monitor: Annotated[AlarmReader, Depends(get_alarms)],
    query: Annotated[AlarmQuery, Query()],
) -> dict[str, Any]:
    """Every alarm of every service watching it, evaluated now, by name then service."""
    check_request_names(request, services=[query.service])
    found = monitor.describe(service=query.service, state=query.state)
    return {"alarms": [status.to_json() for status in found]}
