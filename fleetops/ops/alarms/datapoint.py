"""``Datapoint``: the statistic of a metric over one period, as alarms evaluate it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Datapoint:
    """The statistic of one period (``start_ms``: its start, epoch ms); None when it has no data."""

    start_ms: int
    value: float | None
