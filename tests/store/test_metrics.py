"""Metric data in the store: samples written and read back by series, downsampled and pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.store import Store
from fleetops.store.metrics import Aggregate, Sample, Series

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CPU = Series("dev", "AWS/EC2", "CPUUtilization", "AutoScalingGroupName=menu")


def _cpu(seconds: int, value: float, *, environment: str = "dev") -> Sample:
    return Sample(
        environment, CPU.namespace, CPU.metric, CPU.dimensions, T0 + timedelta(seconds=seconds), value
    )


def test_samples_are_read_back_by_series_and_time(store: Store) -> None:
    store.metrics.put([_cpu(0, 10.0), _cpu(10, 30.0), _cpu(20, 50.0), _cpu(10, 99.0, environment="stage")])
    rows = store.metrics.read(CPU, T0, T0 + timedelta(seconds=20))
    assert rows == [
        Aggregate(T0, 0, 1, 10.0, 10.0, 10.0),
        Aggregate(T0 + timedelta(seconds=10), 0, 1, 30.0, 30.0, 30.0),
    ]
    assert store.metrics.series("dev", T0) == [CPU]


def test_downsampling_folds_old_samples_into_periods(store: Store) -> None:
    store.metrics.put([_cpu(0, 10.0), _cpu(100, 30.0), _cpu(299, 20.0), _cpu(300, 40.0), _cpu(900, 1.0)])
    assert store.metrics.downsample(T0 + timedelta(seconds=600), 300) == 4
    rows = store.metrics.read(CPU, T0, T0 + timedelta(hours=1))
    assert rows == [
        Aggregate(T0, 300, 3, 60.0, 10.0, 30.0),
        Aggregate(T0 + timedelta(seconds=300), 300, 1, 40.0, 40.0, 40.0),
        Aggregate(T0 + timedelta(seconds=900), 0, 1, 1.0, 1.0, 1.0),
    ]


def test_prune_deletes_what_is_older_than_the_retention(store: Store) -> None:
    store.metrics.put([_cpu(0, 10.0), _cpu(60, 20.0)])
    assert store.metrics.prune(T0 + timedelta(seconds=30)) == 1
    assert [row.total for row in store.metrics.read(CPU, T0, T0 + timedelta(hours=1))] == [20.0]
