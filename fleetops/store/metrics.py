"""Metric data: raw samples and downsampled periods, by namespace, metric and dimensions.

A raw sample is a row with ``period_s`` 0; ``downsample`` folds the raw samples of each whole
period older than a time into one row per (series, period) with its count, sum, minimum and
maximum (percentiles need raw samples, so they exist only where those do); ``prune`` deletes
rows older than the retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from fleetops.store.tables import metric_data

MAX_ROWS = 200_000
"""Rows one query may read (a week of 10 s samples of one series is 60,480)."""


class Sessions(Protocol):
    """Where the repository reads and writes (``Store``)."""

    def session(self) -> AbstractContextManager[Session]: ...

    def transaction(self) -> AbstractContextManager[Session]: ...


@dataclass(frozen=True)
class Sample:
    """One observed value of a series at a time."""

    environment: str
    namespace: str
    metric: str
    dimensions: str
    """Canonical ``Name=Value,...`` sorted by name (see ``ops.metrics.names.dimension_key``)."""
    at: datetime
    value: float


@dataclass(frozen=True)
class Aggregate:
    """A row: one raw sample (``period_s`` 0) or a downsampled period."""

    at: datetime
    period_s: int
    sample_count: int
    total: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class Series:
    environment: str
    namespace: str
    metric: str
    dimensions: str


class MetricRepository:
    """Writes samples and reads them back by series and time."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def put(self, samples: Sequence[Sample]) -> None:
        """Record ``samples`` (one transaction)."""
        if not samples:
            return
        rows = [
            {
                "environment": s.environment,
                "namespace": s.namespace,
                "metric": s.metric,
                "dimensions": s.dimensions,
                "at": s.at,
                "period_s": 0,
                "sample_count": 1,
                "total": s.value,
                "minimum": s.value,
                "maximum": s.value,
            }
            for s in samples
        ]
        with self._store.transaction() as session:
            session.execute(insert(metric_data), rows)

    def read(self, series: Series, start: datetime, end: datetime) -> list[Aggregate]:
        """The rows of ``series`` from ``start`` (inclusive) to ``end`` (exclusive), oldest first."""
        query = (
            select(
                metric_data.c.at,
                metric_data.c.period_s,
                metric_data.c.sample_count,
                metric_data.c.total,
                metric_data.c.minimum,
                metric_data.c.maximum,
            )
            .where(
                metric_data.c.environment == series.environment,
                metric_data.c.namespace == series.namespace,
                metric_data.c.metric == series.metric,
                metric_data.c.dimensions == series.dimensions,
                metric_data.c.at >= start,
                metric_data.c.at < end,
            )
            .order_by(metric_data.c.at)
            .limit(MAX_ROWS)
        )
        with self._store.session() as session:
            return [Aggregate(*row) for row in session.execute(query)]

    def series(self, environment: str, since: datetime) -> list[Series]:
        """Every series of ``environment`` with data since ``since``, sorted."""
        query = (
            select(
                metric_data.c.environment,
                metric_data.c.namespace,
                metric_data.c.metric,
                metric_data.c.dimensions,
            )
            .where(metric_data.c.environment == environment, metric_data.c.at >= since)
            .distinct()
            .order_by(metric_data.c.namespace, metric_data.c.metric, metric_data.c.dimensions)
        )
        with self._store.session() as session:
            return [Series(*row) for row in session.execute(query)]

    def downsample(self, before: datetime, period_s: int) -> int:
        """Fold the raw samples older than ``before`` into ``period_s`` periods; rows folded."""
        with self._store.transaction() as session:
            raw = session.execute(
                select(
                    metric_data.c.environment,
                    metric_data.c.namespace,
                    metric_data.c.metric,
                    metric_data.c.dimensions,
                    metric_data.c.at,
                    metric_data.c.total,
                ).where(metric_data.c.period_s == 0, metric_data.c.at < before)
            ).all()
            if not raw:
                return 0
            folded: dict[tuple[str, str, str, str, datetime], list[float]] = {}
            for environment, namespace, metric, dimensions, at, value in raw:
                key = (environment, namespace, metric, dimensions, _period_start(at, period_s))
                folded.setdefault(key, []).append(value)
            session.execute(
                insert(metric_data),
                [
                    {
                        "environment": environment,
                        "namespace": namespace,
                        "metric": metric,
                        "dimensions": dimensions,
                        "at": at,
                        "period_s": period_s,
                        "sample_count": len(values),
                        "total": sum(values),
                        "minimum": min(values),
                        "maximum": max(values),
                    }
                    for (environment, namespace, metric, dimensions, at), values in folded.items()
                ],
            )
            session.execute(delete(metric_data).where(metric_data.c.period_s == 0, metric_data.c.at < before))
            return len(raw)

    def prune(self, before: datetime) -> int:
        """Delete every row older than ``before``; the number deleted."""
        with self._store.transaction() as session:
            count = session.execute(select(func.count()).where(metric_data.c.at < before)).scalar_one()
            session.execute(delete(metric_data).where(metric_data.c.at < before))
            return int(count)


def _period_start(at: datetime, period_s: int) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=at.tzinfo)
    seconds = int((at - epoch).total_seconds())
    return epoch + timedelta(seconds=seconds - seconds % period_s)
