"""Metric math over the metrics store, for ``fleetops metrics math``: an expression over metrics
named on the command line, or the metrics of an alarm of the fleet file, evaluated per period
over a time window (``spec.metric_eval``), as GetMetricData answers an expression.

A metric is written ``ID=NAMESPACE/METRIC[:STAT][,Name=Value...]``, e.g.
``errors=fleetops/Deployments/TaskHandlerErrors:Sum`` or
``cpu=AWS/EC2/CPUUtilization:Maximum,AutoScalingGroupName=restaurant-orders`` (the metric name is
what follows the last ``/``; the statistic defaults to Average).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from fleetops.errors import BadInput
from fleetops.ops.alarms.stored_metrics import GROUP_NAMESPACES, StoredMetrics
from fleetops.ops.metrics.statistics import MAX_DATAPOINTS
from fleetops.spec.metric_eval import Series, evaluate
from fleetops.spec.metric_math import MathError, parse_expression
from fleetops.spec.resources import Alarm, MetricQuery, MetricStat
from fleetops.store.metrics import MetricRepository

RESULT_ID = "expression"
"""The id of the expression given on the command line."""


@dataclass(frozen=True)
class MathResult:
    label: str
    expression: str
    period_s: int
    points: list[tuple[datetime, float]]
    """The periods that have a value, oldest first."""

    def to_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "expression": self.expression,
            "period": self.period_s,
            "datapoints": [{"timestamp": at.isoformat(), "value": value} for at, value in self.points],
        }


def parse_metric(text: str) -> MetricQuery:
    """``ID=NAMESPACE/METRIC[:STAT][,Name=Value...]`` as a query returning no data; BadInput."""
    example = "e.g. errors=fleetops/Deployments/TaskHandlerErrors:Sum"
    qid, sep, rest = text.partition("=")
    head, *pairs = rest.split(",")
    path, _, stat = head.partition(":")
    namespace, _, metric = path.rpartition("/")
    if not sep or not namespace or not metric:
        raise BadInput(f"metric {text!r}: expected ID=NAMESPACE/METRIC[:STAT][,Name=Value...], {example}")
    dimensions: dict[str, str] = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name or not value or name in dimensions:
            raise BadInput(f"metric {text!r}: dimension {pair!r} is not Name=Value (or is given twice)")
        dimensions[name] = value
    try:
        stat_spec = MetricStat(
            namespace=namespace, metric=metric, dimensions=dimensions, stat=stat or "Average"
        )
        return MetricQuery(id=qid, metric_stat=stat_spec, return_data=False)
    except ValidationError as err:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors())
        raise BadInput(f"metric {text!r}: {problems}") from None


def expression_queries(expression: str, metrics: Sequence[str]) -> list[MetricQuery]:
    """The queries of ``fleetops metrics math EXPRESSION --metric ...``; BadInput naming a mistake."""
    queries = [parse_metric(text) for text in metrics]
    try:
        parse_expression(expression)
    except MathError as err:
        raise BadInput(f"expression: {err}") from None
    return [*queries, MetricQuery(id=RESULT_ID, expression=expression)]


def evaluate_queries(
    repository: MetricRepository,
    environment: str,
    queries: Sequence[MetricQuery],
    *,
    start: datetime,
    end: datetime,
    period_s: int,
    group_name: Callable[[str], str],
    service: str = "",
) -> MathResult:
    """The returned query of ``queries`` over ``[start, end)`` by period; BadInput for an id
    named twice or unknown, a cycle, a metric not in the store, or too many periods."""
    ids = [q.id for q in queries]
    if len(set(ids)) != len(ids):
        raise BadInput(
            f"metrics: ids {', '.join(sorted({i for i in ids if ids.count(i) > 1}))} are given twice"
        )
    returned = [q for q in queries if q.return_data]
    if len(returned) != 1:
        raise BadInput(f"metrics: exactly one query returns data, not {len(returned)}")
    period_ms = period_s * 1000
    first = int(start.timestamp() * 1000) // period_ms * period_ms
    starts = list(range(first, int(end.timestamp() * 1000), period_ms))
    if len(starts) > MAX_DATAPOINTS:
        raise BadInput(
            f"{len(starts)} periods of {period_s}s: at most {MAX_DATAPOINTS}, ask for a longer period"
        )
    stored = StoredMetrics(repository, environment, group_name)
    values: dict[str, Sequence[float | None]] = {}
    for query in queries:
        stat = query.metric_stat
        if stat is None:
            continue
        if stat.namespace is None:
            raise BadInput(
                f"query {query.id} reads the load balancer's metric {stat.metric}, which is not in the "
                "metrics store (fleetops alarms shows that alarm's state)"
            )
        if not stat.dimensions and not service and stat.namespace in GROUP_NAMESPACES:
            raise BadInput(f"query {query.id}: {stat.namespace} is by group: give --service or dimensions")
        series = stored.series_of(stat.namespace, stat.metric, stat.dimensions, service)
        values[query.id] = stored.read(series, stat.stat, period_ms=period_ms, starts=starts)
    expressions = {q.id: parse_expression(q.expression) for q in queries if q.expression is not None}
    try:
        result = evaluate(expressions, values, starts=starts, period_s=period_s)[returned[0].id]
    except MathError as err:
        raise BadInput(str(err)) from None
    if not isinstance(result, Series):
        raise BadInput(f"query {returned[0].id}: its result is not one time series")
    return MathResult(
        label=returned[0].label or returned[0].id,
        expression=returned[0].expression or returned[0].id,
        period_s=period_s,
        points=[
            (datetime.fromtimestamp(at / 1000, UTC), value)
            for at, value in zip(starts, result.points, strict=True)
            if value is not None
        ],
    )


def alarm_queries(alarm: Alarm, name: str) -> list[MetricQuery]:
    """The metrics of a metric math alarm; BadInput for an alarm on one metric."""
    if alarm.metrics is None:
        raise BadInput(f"alarm {name} watches one metric ({alarm.watched}): use fleetops metrics get")
    return list(alarm.metrics)
