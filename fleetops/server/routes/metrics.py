"""``/metrics``: the fleet's recorded metrics, listed, as GetMetricStatistics datapoints, and in
metric math expressions (``/metrics/math``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from fleetops.errors import BadInput
from fleetops.ops.metrics.math_query import alarm_queries, evaluate_queries, expression_queries
from fleetops.ops.metrics.names import KNOWN, dimension_key, parse_dimensions
from fleetops.ops.metrics.statistics import check_statistics, datapoints, window
from fleetops.server.auth import Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.server.routes.fleet import (
    EndQuery,
    EnvironmentQuery,
    SinceQuery,
    StartQuery,
    pick_fleet,
    time_window,
)
from fleetops.spec.aws_names import auto_scaling_group_name
from fleetops.store.metrics import Series

router = RouteTable(tags=["metrics"], responses=error_responses(*AUTHENTICATED, 409, 423))
viewer = [Depends(require(Role.VIEWER))]
UNITS = {(name.namespace, name.metric): name.unit for name in KNOWN}


@router.get("/metrics", name="metrics.list", dependencies=viewer)
def list_metrics(
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    environment: EnvironmentQuery = None,
) -> dict[str, Any]:
    """The metrics with data in the last 15 days, with their dimensions (``list-metrics``)."""
    name = pick_fleet(request, environment).environment
    since = clock.now() - timedelta(days=15)
    return {
        "environment": name,
        "metrics": [
            {
                "namespace": series.namespace,
                "metric": series.metric,
                "dimensions": [
                    {"name": key, "value": value}
                    for key, _, value in (
                        pair.partition("=") for pair in series.dimensions.split(",") if pair
                    )
                ],
            }
            for series in store.metrics.series(name, since)
        ],
    }


@router.get("/metrics/statistics", name="metrics.statistics", dependencies=viewer)
def metric_statistics(
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    *,
    namespace: Annotated[str, Query(min_length=1, max_length=255)],
    metric: Annotated[str, Query(min_length=1, max_length=255)],
    dimension: Annotated[
        list[str] | None, Query(max_length=30, description="Name=Value, repeatable.")
    ] = None,
    period: Annotated[int, Query(ge=1, le=86_400, description="Seconds per datapoint.")] = 60,
    statistics: Annotated[
        str,
        Query(
            max_length=500, description="Comma-separated: SampleCount, Sum, Average, Minimum, Maximum, pNN."
        ),
    ] = "Average",
    since: SinceQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
    environment: EnvironmentQuery = None,
) -> dict[str, Any]:
    """Datapoints of one metric per ``period`` (``get-metric-statistics``), oldest first."""
    name = pick_fleet(request, environment).environment
    dimensions = parse_dimensions(dimension or [])
    names = check_statistics([s.strip() for s in statistics.split(",") if s.strip()])
    now = clock.now()
    begin, stop = window(*time_window(since, start, end, now=now), now)
    series = Series(name, namespace, metric, dimension_key(dimensions))
    rows = store.metrics.read(series, begin, stop)
    points = datapoints(rows, start=begin, end=stop, period_s=period, statistics=names)
    return {
        "label": metric,
        "namespace": namespace,
        "environment": name,
        "dimensions": [{"name": k, "value": v} for k, v in sorted(dimensions.items())],
        "unit": UNITS.get((namespace, metric), "None"),
        "datapoints": [point.to_json() for point in points],
    }


@router.get("/metrics/math", name="metrics.math", dependencies=viewer)
def metric_math(
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    *,
    expression: Annotated[
        str | None, Query(max_length=2048, description="Metric math over the metrics' ids.")
    ] = None,
    metric: Annotated[
        list[str] | None,
        Query(max_length=10, description="ID=NAMESPACE/METRIC[:STAT][,Name=Value...], repeatable."),
    ] = None,
    alarm: Annotated[str | None, Query(max_length=63, description="Instead: an alarm's metrics.")] = None,
    service: Annotated[
        str | None, Query(max_length=63, description="The service of a template alarm.")
    ] = None,
    period: Annotated[int, Query(ge=1, le=86_400, description="Seconds per datapoint.")] = 60,
    since: SinceQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
    environment: EnvironmentQuery = None,
) -> dict[str, Any]:
    """A metric math expression per ``period``, as GetMetricData answers it, oldest first."""
    runtime = pick_fleet(request, environment)
    name, fleet = runtime.environment, runtime.fleet
    if (expression is None) == (alarm is None):
        raise BadInput("give an expression (with its metrics) or an alarm")
    if alarm is not None:
        if alarm not in fleet.alarms:
            raise BadInput(f"alarm {alarm!r}: the fleet file has no such alarm")
        queries = alarm_queries(fleet.alarms[alarm], alarm)
    else:
        assert expression is not None
        queries = expression_queries(expression, metric or [])
    now = clock.now()
    begin, stop = window(*time_window(since, start, end, now=now), now)
    result = evaluate_queries(
        store.metrics, name, queries, start=begin, end=stop, period_s=period, service=service or "",
        group_name=lambda svc: auto_scaling_group_name(fleet, name, svc),
    )  # fmt: skip
    return {"environment": name, **result.to_json()}
