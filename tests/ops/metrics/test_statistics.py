"""GetMetricStatistics datapoints over stored rows, and the metric names' dimensions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.errors import BadInput
from fleetops.ops.metrics.names import dimension_key, parse_dimensions
from fleetops.ops.metrics.statistics import check_statistics, datapoints
from fleetops.store.metrics import Aggregate

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _raw(seconds: int, value: float) -> Aggregate:
    return Aggregate(T0 + timedelta(seconds=seconds), 0, 1, value, value, value)


def test_each_period_has_its_statistics() -> None:
    rows = [_raw(0, 10.0), _raw(20, 30.0), _raw(40, 20.0), _raw(70, 90.0)]
    points = datapoints(
        rows,
        start=T0,
        end=T0 + timedelta(minutes=2),
        period_s=60,
        statistics=["Average", "Maximum", "p50", "SampleCount"],
    )
    assert [point.to_json() for point in points] == [
        {
            "timestamp": "2026-03-01T12:00:00+00:00",
            "Average": 20.0,
            "Maximum": 30.0,
            "p50": 20.0,
            "SampleCount": 3.0,
        },
        {
            "timestamp": "2026-03-01T12:01:00+00:00",
            "Average": 90.0,
            "Maximum": 90.0,
            "p50": 90.0,
            "SampleCount": 1.0,
        },
    ]


def test_a_downsampled_period_has_no_percentile() -> None:
    rows = [Aggregate(T0, 300, 3, 60.0, 10.0, 30.0)]
    points = datapoints(
        rows, start=T0, end=T0 + timedelta(minutes=5), period_s=300, statistics=["Sum", "p95"]
    )
    assert [point.values for point in points] == [{"Sum": 60.0}]


def test_too_many_datapoints_are_refused() -> None:
    with pytest.raises(BadInput, match="period 1s over 86400s gives more than 1440 datapoints"):
        datapoints([], start=T0, end=T0 + timedelta(days=1), period_s=1, statistics=["Average"])


def test_unknown_statistics_are_refused() -> None:
    with pytest.raises(BadInput, match="statistics: unknown statistic 'Mean'"):
        check_statistics(["Average", "Mean"])


def test_dimensions_are_keyed_sorted_by_name() -> None:
    parsed = parse_dimensions(["InstanceId=i-1", "AutoScalingGroupName=menu"])
    assert dimension_key(parsed) == "AutoScalingGroupName=menu,InstanceId=i-1"


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["AutoScalingGroupName"], "dimension 'AutoScalingGroupName': expected Name=Value"),
        (["A=1", "A=2"], "dimension 'A' is given twice"),
    ],
)
def test_bad_dimensions_say_what_is_wrong(texts: list[str], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_dimensions(texts)
