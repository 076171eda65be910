"""The datapoints of a metric math alarm (``metrics`` in the fleet file): each ``metric_stat``
read over the evaluation range (from the metrics store, or from the load balancer's metrics when
it has no namespace), then the expressions evaluated per period (``spec.metric_eval``), as
CloudWatch evaluates an alarm on a math expression: the returned query's value in each period is
the datapoint, and a period where it has none (say, a division by zero) is missing data.
"""

from __future__ import annotations

from collections.abc import Sequence

from fleetops.ops.alarms.metric_store import MetricStore
from fleetops.ops.alarms.stored_metrics import StoredMetrics
from fleetops.spec.metric_eval import Series, evaluate
from fleetops.spec.metric_math import parse_expression
from fleetops.spec.resources import Alarm


class NoMetrics(Exception):
    """A metric of the alarm cannot be read here; the message says which and why."""


def math_datapoints(
    alarm: Alarm,
    service: str,
    *,
    starts: Sequence[int],
    period_ms: int,
    stored: StoredMetrics | None,
    balancer: MetricStore,
    balancer_metrics: frozenset[str],
    provider: str,
) -> list[float | None]:
    """The returned query's value in each period beginning at ``starts``; ``NoMetrics`` when a
    metric is in no source of this environment."""
    assert alarm.metrics is not None and alarm.returned is not None
    metrics: dict[str, list[float | None]] = {}
    for query in alarm.metrics:
        stat = query.metric_stat
        if stat is None:
            continue
        if stat.namespace is not None:
            if stored is None:
                raise NoMetrics("No metrics store: this environment records none")
            series = stored.series_of(stat.namespace, stat.metric, stat.dimensions, service)
            metrics[query.id] = stored.read(series, stat.stat, period_ms=period_ms, starts=starts)
        elif stat.metric not in balancer_metrics:
            raise NoMetrics(
                f"Unknown metric: the {provider} provider has no metric {stat.metric!r} (query "
                f"{query.id}; it has: {', '.join(sorted(balancer_metrics)) or 'none'})"
            )
        else:
            metrics[query.id] = balancer.datapoints(
                service, stat.metric, stat.stat, period_ms=period_ms, starts=starts
            )
    expressions = {q.id: parse_expression(q.expression) for q in alarm.metrics if q.expression is not None}
    value = evaluate(expressions, metrics, starts=starts, period_s=period_ms / 1000)[alarm.returned.id]
    assert isinstance(value, Series)  # the fleet file's check: a returned query is a time series
    return list(value.points)
