"""GetMetricStatistics over stored metric data: datapoints per period, with CloudWatch's
statistics (``ops.alarms.statistics``: nearest-rank percentiles).

Periods are aligned to the epoch, as CloudWatch aligns them; a period without a sample has no
datapoint. A percentile needs the raw samples: for a period folded by downsampling only its
count, sum, minimum and maximum remain, so a percentile there is left out (as CloudWatch leaves
out what it cannot compute).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fleetops.errors import BadInput
from fleetops.ops.alarms.statistics import Samples, check_statistic, statistic_of
from fleetops.store.metrics import Aggregate

MAX_DATAPOINTS = 1440
"""GetMetricStatistics' limit on datapoints per call."""


@dataclass(frozen=True)
class Datapoint:
    timestamp: datetime
    values: dict[str, float]
    """Each statistic asked for that this period has."""

    def to_json(self) -> dict[str, object]:
        return {"timestamp": self.timestamp.isoformat(), **self.values}


def check_statistics(names: Sequence[str]) -> list[str]:
    """The statistics asked for, each one CloudWatch knows; BadInput naming an unknown one."""
    if not names:
        raise BadInput("statistics: give at least one (SampleCount, Sum, Average, Minimum, Maximum, p95...)")
    for name in names:
        try:
            check_statistic(name)
        except ValueError as err:
            raise BadInput(
                f"statistics: {err} (known: SampleCount, Sum, Average, Minimum, Maximum, pNN such as p95)"
            ) from err
    return list(dict.fromkeys(names))


def datapoints(
    rows: Sequence[Aggregate],
    *,
    start: datetime,
    end: datetime,
    period_s: int,
    statistics: Sequence[str],
) -> list[Datapoint]:
    """One datapoint per period from ``start`` to ``end`` that has samples, oldest first."""
    if period_s < 1:
        raise BadInput(f"period {period_s}: it must be at least 1 second")
    if (end - start).total_seconds() / period_s > MAX_DATAPOINTS:
        raise BadInput(
            f"period {period_s}s over {round((end - start).total_seconds())}s gives more than "
            f"{MAX_DATAPOINTS} datapoints: "
            "ask for a longer period or a shorter time"
        )
    buckets: dict[int, tuple[Samples, bool]] = {}
    for row in rows:
        index = int(row.at.timestamp()) // period_s
        samples, complete = buckets.get(index, (Samples(keep=True), True))
        if row.period_s == 0:
            samples.add(row.total)
        else:
            # A downsampled period: its aggregates, without values.
            samples.count += row.sample_count
            samples.total += row.total
            samples.low = min(samples.low, row.minimum)
            samples.high = max(samples.high, row.maximum)
            complete = False
        buckets[index] = (samples, complete)
    out = []
    for index in sorted(buckets):
        samples, complete = buckets[index]
        values: dict[str, float] = {}
        for name in statistics:
            if name.startswith("p") and not complete:
                continue
            value = statistic_of(samples, name)
            if value is not None:
                values[name] = value
        out.append(Datapoint(datetime.fromtimestamp(index * period_s, UTC), values))
    return out


def window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """``start`` (default: an hour before ``now``) to ``end`` (default: ``now``); ``since`` is
    resolved to a ``start`` by the caller (``server.routes.fleet.time_window``)."""
    stop = end or now
    begin = start or (now - timedelta(hours=1))
    if stop <= begin:
        raise BadInput(
            f"time window: the end ({stop.isoformat()}) is not after the start ({begin.isoformat()})"
        )
    return begin, stop
