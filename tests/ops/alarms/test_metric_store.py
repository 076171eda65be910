"""The window of samples the alarms need, by clock-aligned slices."""

from __future__ import annotations

import pytest

from fleetops.ops.alarms.metric_store import MetricStore


def store() -> MetricStore:
    kept = frozenset({"TargetResponseTime"})
    return MetricStore(resolution_ms=1000, retention_ms=10_000, value_metrics=kept)


def test_a_period_is_the_statistic_over_its_slices() -> None:
    metrics = store()
    for at, value in [(1_000, 0.1), (1_900, 0.3), (2_500, 0.2), (4_000, 9.0)]:
        metrics.add("menu", "TargetResponseTime", at, value)
    starts = [0, 2000, 4000]
    found = metrics.datapoints("menu", "TargetResponseTime", "Maximum", period_ms=2000, starts=starts)
    assert found == [0.3, 0.2, 9.0]


def test_a_period_without_samples_is_missing() -> None:
    metrics = store()
    metrics.add("menu", "RequestCount", 500, 1.0)
    assert metrics.datapoints("menu", "RequestCount", "Sum", period_ms=1000, starts=[0, 1000]) == [1.0, None]
    assert metrics.datapoints("orders", "RequestCount", "Sum", period_ms=1000, starts=[0]) == [None]


def test_prune_forgets_what_is_older_than_the_retention_and_refuses_it_later() -> None:
    metrics = store()
    metrics.add("menu", "RequestCount", 1_000, 1.0)
    metrics.add("menu", "RequestCount", 15_000, 1.0)
    metrics.prune(20_000)
    metrics.add("menu", "RequestCount", 2_000, 1.0)
    assert metrics.sample_count() == 1


def test_a_period_must_be_a_multiple_of_the_resolution() -> None:
    with pytest.raises(ValueError, match="period 1500 ms is not a multiple of 1000 ms"):
        store().datapoints("menu", "RequestCount", "Sum", period_ms=1500, starts=[0])
