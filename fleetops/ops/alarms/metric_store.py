"""``MetricStore``: the recent samples of each (service, metric), in slices aligned to the clock.

Slices are ``resolution_ms`` wide and aligned to the epoch, like CloudWatch periods, so a
period of any alarm (a multiple of the resolution) is the union of whole slices. Only the window
the alarms look at is kept (``retention_ms`` back from now, see ``prune``): memory stays
bounded on a long-running server whatever the traffic was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fleetops.ops.alarms.statistics import Samples, statistic_of

Series = dict[int, Samples]


class MetricStore:
    """Samples by (service, metric) and slice. Not thread-safe: its owner serialises calls."""

    def __init__(self, *, resolution_ms: int, retention_ms: int, value_metrics: frozenset[str]) -> None:
        """``value_metrics`` keep every sample's value (for percentiles); others only aggregates."""
        if resolution_ms <= 0 or retention_ms <= 0:
            raise ValueError("resolution and retention must be positive")
        self.resolution_ms = resolution_ms
        self.retention_ms = retention_ms
        self._value_metrics = value_metrics
        self._series: dict[tuple[str, str], Series] = {}
        self._oldest_kept = 0

    def add(self, service: str, metric: str, at_ms: int, value: float) -> None:
        """Record one sample at ``at_ms`` (epoch ms); samples older than the window are dropped."""
        self.add_all(service, at_ms, ((metric, value),))

    def add_all(self, service: str, at_ms: int, samples: Iterable[tuple[str, float]]) -> None:
        """Record samples of several metrics of ``service`` at ``at_ms`` (one request's)."""
        if at_ms < self._oldest_kept:
            return
        index = at_ms // self.resolution_ms
        for metric, value in samples:
            series = self._series.get((service, metric))
            if series is None:
                series = self._series[(service, metric)] = {}
            bucket = series.get(index)
            if bucket is None:
                bucket = series[index] = Samples(keep=metric in self._value_metrics)
            bucket.add(value)

    def prune(self, now_ms: int) -> None:
        """Forget the slices that ended more than ``retention_ms`` before ``now_ms``."""
        self._oldest_kept = now_ms - self.retention_ms
        first = self._oldest_kept // self.resolution_ms
        for series in self._series.values():
            for index in [i for i in series if i < first]:
                del series[index]

    def datapoints(
        self, service: str, metric: str, statistic: str, *, period_ms: int, starts: Sequence[int]
    ) -> list[float | None]:
        """The statistic of each period beginning at ``starts`` (epoch ms); None: no sample."""
        if period_ms % self.resolution_ms:
            raise ValueError(f"period {period_ms} ms is not a multiple of {self.resolution_ms} ms")
        series = self._series.get((service, metric), {})
        keep = metric in self._value_metrics
        per_period = period_ms // self.resolution_ms
        out: list[float | None] = []
        for start in starts:
            first = start // self.resolution_ms
            parts = [series[i] for i in range(first, first + per_period) if i in series]
            out.append(statistic_of(Samples.merged(parts, keep=keep), statistic))
        return out

    def sample_count(self) -> int:
        """How many samples are held (for tests and benchmarks of the window's size)."""
        return sum(bucket.count for series in self._series.values() for bucket in series.values())
