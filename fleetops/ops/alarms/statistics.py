"""The samples of one metric in one time slice, and the CloudWatch statistics over them.

A metric is a stream of samples (one per request for the load balancer's metrics). Counts such as
``RequestCount`` are samples of value 1, as ELB publishes them ("Minimum, Maximum, and Average all
return 1"), so ``Sum`` is the count and their values need not be kept. Metrics whose percentiles
matter (``TargetResponseTime``) keep every value of the slice.

Percentiles use the nearest-rank method: ``pNN`` is the smallest value such that at least NN% of
the samples are at or below it. CloudWatch computes percentiles approximately and does not
publish its method; nearest rank returns a value that was actually observed, and the maximum for
``p100``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from fleetops.spec.resources import PERCENTILE, Statistic


class Samples:
    """Count, sum, minimum and maximum of a slice's samples, and their values when ``keep``."""

    __slots__ = ("count", "high", "keep", "low", "total", "values")

    def __init__(self, *, keep: bool) -> None:
        self.keep = keep
        self.count = 0
        self.total = 0.0
        self.low = math.inf
        self.high = -math.inf
        self.values: list[float] = []

    def add(self, value: float) -> None:
        """Record one sample."""
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        if self.keep:
            self.values.append(value)

    def merge(self, other: Samples) -> None:
        """Add every sample of ``other`` (another slice of the same metric)."""
        self.count += other.count
        self.total += other.total
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)
        if self.keep:
            self.values.extend(other.values)

    @classmethod
    def merged(cls, parts: Iterable[Samples], *, keep: bool) -> Samples:
        """One ``Samples`` holding every sample of ``parts``."""
        out = cls(keep=keep)
        for part in parts:
            out.merge(part)
        return out


def check_statistic(statistic: str) -> str:
    """``statistic`` if it is one CloudWatch knows (Sum, Average, …, pNN); ValueError otherwise."""
    if statistic in {s.value for s in Statistic} or PERCENTILE.match(statistic):
        return statistic
    raise ValueError(f"unknown statistic {statistic!r}")


def statistic_of(samples: Samples, statistic: str) -> float | None:
    """The statistic over ``samples``; None when there is no sample (a missing datapoint)."""
    if samples.count == 0:
        return None
    if statistic == Statistic.SUM:
        return samples.total
    if statistic == Statistic.SAMPLE_COUNT:
        return float(samples.count)
    if statistic == Statistic.AVERAGE:
        return samples.total / samples.count
    if statistic == Statistic.MINIMUM:
        return samples.low
    if statistic == Statistic.MAXIMUM:
        return samples.high
    return _percentile(samples, float(check_statistic(statistic)[1:]))


def _percentile(samples: Samples, percent: float) -> float:
    if samples.low == samples.high:
        return samples.low  # every sample equal (counts): no values needed
    if not samples.values:
        raise ValueError("percentiles need the samples' values: this metric does not keep them")
    ordered = sorted(samples.values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]
