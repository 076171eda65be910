"""``StoredMetrics``: datapoints of an alarm with a ``namespace``, read from the metrics store.

The store (``store.metrics``) holds what the control plane samples: instances and groups
(``AWS/EC2``, ``CWAgent``, ``fleetops/Instances``, ``AWS/AutoScaling``), datastores and the
orchestrator's own (``fleetops/Deployments``). An alarm names the series by namespace, metric and
dimensions; an alarm on an instance or group namespace without dimensions is on its service's
group (``AutoScalingGroupName``), so a template alarm on ``CPUUtilization`` has one series per
watching service.

Each period's statistic is computed as GetMetricStatistics computes it
(``ops.alarms.statistics``); a period with no sample is a missing datapoint. A period whose
samples were folded by downsampling has no percentile (None), as its values are gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from fleetops.ops.alarms.statistics import Samples, statistic_of
from fleetops.ops.metrics.names import dimension_key
from fleetops.spec.resources import Alarm
from fleetops.store.metrics import MetricRepository, Series

GROUP_NAMESPACES = frozenset({"AWS/EC2", "CWAgent", "fleetops/Instances", "AWS/AutoScaling"})
"""Namespaces whose series are by ``AutoScalingGroupName`` (and ``InstanceId``)."""


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class StoredMetrics:
    """The metrics store of one environment, as alarms read it."""

    def __init__(
        self, repository: MetricRepository, environment: str, group_name: Callable[[str], str]
    ) -> None:
        """``group_name(service)``: the service's Auto Scaling group name in this environment."""
        self._repository = repository
        self.environment = environment
        self._group_name = group_name

    def series(self, alarm: Alarm, service: str) -> Series:
        """The series ``alarm`` watches for ``service`` ("" for an alarm of no service)."""
        assert alarm.namespace is not None and alarm.metric is not None
        return self.series_of(alarm.namespace, alarm.metric, alarm.dimensions, service)

    def series_of(self, namespace: str, metric: str, dimensions: Mapping[str, str], service: str) -> Series:
        """The series of ``metric`` for ``service``: on a group namespace without dimensions, by
        the service's group."""
        chosen = dict(dimensions)
        if not chosen and service and namespace in GROUP_NAMESPACES:
            chosen = {"AutoScalingGroupName": self._group_name(service)}
        return Series(self.environment, namespace, metric, dimension_key(chosen))

    def datapoints(
        self, alarm: Alarm, service: str, *, period_ms: int, starts: Sequence[int]
    ) -> list[float | None]:
        """The statistic of each period beginning at ``starts`` (epoch ms, consecutive)."""
        return self.read(self.series(alarm, service), alarm.statistic, period_ms=period_ms, starts=starts)

    def read(
        self, series: Series, statistic: str, *, period_ms: int, starts: Sequence[int]
    ) -> list[float | None]:
        """``statistic`` of ``series`` in each period beginning at ``starts`` (epoch ms, consecutive)."""
        if not starts:
            return []
        rows = self._repository.read(series, _at(starts[0]), _at(starts[-1] + period_ms))
        buckets = [Samples(keep=True) for _ in starts]
        folded = [False for _ in starts]
        for row in rows:
            index = (round(row.at.timestamp() * 1000) - starts[0]) // period_ms
            if not 0 <= index < len(starts):
                continue
            samples = buckets[index]
            if row.period_s == 0:
                samples.add(row.total)
                continue
            samples.count += row.sample_count
            samples.total += row.total
            samples.low = min(samples.low, row.minimum)
            samples.high = max(samples.high, row.maximum)
            folded[index] = True
        out: list[float | None] = []
        for samples, was_folded in zip(buckets, folded, strict=True):
            if was_folded and statistic.startswith("p"):
                out.append(None)
            else:
                out.append(statistic_of(samples, statistic))
        return out
