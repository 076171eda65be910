"""CloudWatch metric statistics of the local fleet over any time range: the Application Load
Balancer metrics of a service, read back from HAProxy's access log (``ops.alarms.elb_metrics``).

A metric is named as an ALB publishes it: namespace ``AWS/ApplicationELB``, dimension
``LoadBalancer`` (``app/<name>/<id>``) or ``TargetGroup`` (``targetgroup/<name>/<id>``) of the
service's group. ``HealthyHostCount`` and ``UnHealthyHostCount`` are not in the log: they have a
datapoint for the current period only. As on AWS, a period without a sample has no datapoint,
and a metric nobody publishes (another namespace, other dimensions) has none at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fleetops.ops.alarms.elb_metrics import LOCAL_METRICS, TARGET_RESPONSE_TIME
from fleetops.ops.alarms.local_metrics import local_metrics
from fleetops.ops.alarms.metric_store import MetricStore
from fleetops.ops.alarms.statistics import check_statistic
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.resources import Group

NAMESPACE = "AWS/ApplicationELB"
MAX_DATAPOINTS = 1440
"""GetMetricStatistics' limit on datapoints per call."""


def invalid(message: str) -> AwsError:
    """CloudWatch's InvalidParameterValue."""
    return AwsError("InvalidParameterValueException", message)


def group_of(groups: Sequence[Group], namespace: str, dimensions: Sequence[dict[str, str]]) -> Group | None:
    """The group a metric's namespace and dimensions name; None: a metric nobody publishes here."""
    if namespace != NAMESPACE:
        return None
    for dimension in dimensions:
        name, value = dimension.get("Name"), dimension.get("Value")
        for group in groups:
            if (name, value) in (
                ("LoadBalancer", group.load_balancer_dimension),
                ("TargetGroup", group.target_group_dimension),
            ):
                return group
    return None


@dataclass(frozen=True)
class Series:
    """The datapoints of one statistic of one metric: period starts (epoch ms) and values."""

    starts: list[int]
    values: list[float | None]


def unit(metric: str) -> str:
    """The metric's CloudWatch unit."""
    return "Seconds" if metric == TARGET_RESPONSE_TIME else "Count"


def statistics(
    group: Group | None,
    metric: str,
    statistic_names: Sequence[str],
    *,
    start: datetime,
    end: datetime,
    period_s: int,
    now: datetime,
) -> dict[str, Series]:
    """Each statistic of ``metric`` of ``group``'s service over ``[start, end)`` by period (no
    datapoint at all for ``group`` None or a metric the load balancers do not publish); the
    provider's metrics are collected up to ``now``."""
    if period_s <= 0 or (period_s % 60 and period_s not in (1, 5, 10, 30)):
        raise invalid(f"The parameter Period must be 1, 5, 10, 30 or a multiple of 60, got {period_s}")
    for name in statistic_names:
        try:
            check_statistic(name)
        except ValueError:
            raise invalid(
                f"statistic {name!r} is not one of SampleCount, Average, Sum, Minimum, Maximum, pNN"
            ) from None
    period_ms = period_s * 1000
    first = int(start.timestamp() * 1000) // period_ms * period_ms
    last = int(end.timestamp() * 1000)
    if last <= first:
        raise invalid("The parameter StartTime must be before EndTime.")
    starts = list(range(first, last, period_ms))
    if len(starts) > MAX_DATAPOINTS:
        raise invalid(
            f"You have requested up to {len(starts)} datapoints, which exceeds the limit of {MAX_DATAPOINTS}."
        )
    if group is None or metric not in LOCAL_METRICS:
        return {name: Series(starts, [None] * len(starts)) for name in statistic_names}
    provider = getattr(group.runtime, "provider", None)
    source = local_metrics(provider, [group.service])
    now_ms = int(now.timestamp() * 1000)
    store = MetricStore(
        resolution_ms=period_ms,
        retention_ms=max(now_ms - first + period_ms, period_ms),
        value_metrics=source.value_metrics if source else frozenset(),
    )
    if source is not None:
        source.collect(store, now_ms)
    return {
        name: Series(
            starts, store.datapoints(group.service, metric, name, period_ms=period_ms, starts=starts)
        )
        for name in statistic_names
    }
