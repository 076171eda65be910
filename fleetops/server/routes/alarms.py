"""``/alarms``: the states of the fleet's alarms, as ``aws cloudwatch describe-alarms`` lists them.

They come from the ``alarms`` of an environment's fleet runtime (``?environment=``, by default
the only one running; chosen as the ``/fleet`` routes choose it): a local one's ``AlarmMonitor``,
an aws one's CloudWatch alarms (DescribeAlarms); without a fleet runtime, or one that has no
alarms, the route answers 409. A local environment's composite alarms follow its metric alarms in
the list. ``/alarms/{name}/history`` lists an alarm's state changes and actions (newest first);
``/alarms/{name}/disable-actions`` and ``enable-actions`` switch its actions (kept over
restarts; audited as ``alarms.disable_actions`` / ``alarms.enable_actions``).
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol, runtime_checkable

from fastapi import Depends, Path, Query, Request

from fleetops.ops.alarms import AlarmMonitor, AlarmState, AlarmStatus
from fleetops.server.auth import Principal, Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import QueryModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.fleet import EnvironmentQuery, pick_fleet

router = RouteTable(tags=["alarms"], responses=error_responses(*AUTHENTICATED, 409, 423))


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
    listed = [status.to_json() for status in found]
    if isinstance(monitor, AlarmMonitor) and query.service is None:
        listed += [c.to_json() for c in monitor.describe_composites(state=query.state)]
    return {"alarms": listed}


AlarmName = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[a-z][a-z0-9-]{0,62}$")]
ServiceQuery = Annotated[
    str | None, Query(max_length=100, description="The service of a template alarm; default: every one.")
]


def _local_monitor(request: Request, environment: str | None) -> AlarmMonitor:
    monitor = get_alarms(request, environment)
    if not isinstance(monitor, AlarmMonitor):
        raise ApiError(409, "alarm history and action switches are kept by fleetops for local environments")
    return monitor


def _check_alarm(monitor: AlarmMonitor, name: str) -> None:
    if name not in monitor.alarms and name not in monitor.composites:
        known = ", ".join(sorted([*monitor.alarms, *monitor.composites])) or "none defined"
        raise ApiError(404, f"unknown alarm {name!r} (known: {known})")


@router.get(
    "/alarms/{name}/history",
    name="alarms.history",
    dependencies=[Depends(require(Role.VIEWER))],
    responses=error_responses(404),
)
def alarm_history(
    request: Request,
    store: StoreDep,
    *,
    name: AlarmName,
    service: ServiceQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    environment: EnvironmentQuery = None,
) -> dict[str, Any]:
    """The alarm's state changes and actions, newest first (``describe-alarm-history``)."""
    check_request_names(request, services=[service])
    monitor = _local_monitor(request, environment)
    _check_alarm(monitor, name)
    items = store.alarm_history.list(monitor.environment, name, service=service, limit=limit)
    return {"environment": monitor.environment, "history": [item.to_json() for item in items]}


def _switch(
    request: Request,
    name: str,
    service: str | None,
    environment: str | None,
    caller: Principal,
    *,
    enabled: bool,
) -> dict[str, Any]:
    check_request_names(request, services=[service])
    monitor = _local_monitor(request, environment)
    _check_alarm(monitor, name)
    targets = [key for key in monitor.targets() if key[0] == name and service in (None, key[1])]
    if not targets:
        raise ApiError(404, f"alarm {name!r} has no target for service {service!r}")
    for alarm, of in targets:
        monitor.set_actions(alarm, of, enabled=enabled, by=caller.name)
    return {
        "alarm": name,
        "environment": monitor.environment,
        "services": [of for _, of in targets],
        "actions_enabled": enabled,
    }


@router.post("/alarms/{name}/disable-actions", name="alarms.disable_actions", responses=error_responses(404))
def disable_actions(
    request: Request,
    name: AlarmName,
    caller: Annotated[Principal, Depends(require(Role.OPERATOR))],
    service: ServiceQuery = None,
    environment: EnvironmentQuery = None,
) -> dict[str, Any]:
    """Stop the alarm's actions (every service's, or one): states still change and are recorded."""
    return _switch(request, name, service, environment, caller, enabled=False)


@router.post("/alarms/{name}/enable-actions", name="alarms.enable_actions", responses=error_responses(404))
def enable_actions(
    request: Request,
    name: AlarmName,
    caller: Annotated[Principal, Depends(require(Role.OPERATOR))],
    service: ServiceQuery = None,
    environment: EnvironmentQuery = None,
) -> dict[str, Any]:
    """Run the alarm's actions again on its next state changes."""
    return _switch(request, name, service, environment, caller, enabled=True)
