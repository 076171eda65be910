"""CloudWatch metric statistics from the metrics fleetops records (``store.metrics``, sampled by
``control.metrics_sampler``): ``AWS/EC2 CPUUtilization``, ``CWAgent mem_used_percent``,
``fleetops/Instances MemoryRSS`` by ``InstanceId`` or ``AutoScalingGroupName``, and
``AWS/AutoScaling GroupInServiceInstances``/``GroupDesiredCapacity`` by group.

A metric is found by its namespace, name and exact dimensions, as CloudWatch finds it, in the
running environments in their start order: the first holding data for it answers (two running
environments whose groups share a name answer with the first one's). Percentiles of periods
already folded into 5-minute aggregates are left out, as ``fleetops metrics get`` leaves them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fleetops.errors import BadInput
from fleetops.ops.metrics.names import KNOWN, dimension_key
from fleetops.ops.metrics.statistics import datapoints
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.metrics import Series
from fleetops.server.aws.operations import Call
from fleetops.store.metrics import Series as StoredSeries


def unit(namespace: str, metric: str) -> str | None:
    """The unit fleetops records ``metric`` in (None: not one it records)."""
    for name in KNOWN:
        if (name.namespace, name.metric) == (namespace, metric):
            return name.unit
    return None


def statistics(
    call: Call,
    namespace: str,
    metric: str,
    dimensions: Sequence[dict[str, str]],
    statistic_names: Sequence[str],
    *,
    starts: list[int],
    end: datetime,
    period_s: int,
) -> dict[str, Series] | None:
    """Each statistic of the recorded metric over the periods ``starts`` (epoch ms), or None when
    no running environment recorded it in that window."""
    if unit(namespace, metric) is None or not starts:
        return None
    try:
        key = dimension_key({d.get("Name", ""): d.get("Value", "") for d in dimensions})
    except BadInput as err:
        raise AwsError("InvalidParameterValue", err.message) from None
    start = datetime.fromtimestamp(starts[0] / 1000, end.tzinfo)
    for environment in call.environments.names():
        rows = call.store.metrics.read(StoredSeries(environment, namespace, metric, key), start, end)
        if not rows:
            continue
        points = datapoints(rows, start=start, end=end, period_s=period_s, statistics=statistic_names)
        by_start = {int(point.timestamp.timestamp() * 1000): point.values for point in points}
        return {
            name: Series(starts, [by_start.get(at, {}).get(name) for at in starts])
            for name in statistic_names
        }
    return None
