"""CloudWatch statistics over a slice's samples."""

from __future__ import annotations

import pytest

from fleetops.ops.alarms.statistics import Samples, statistic_of


def samples(*values: float, keep: bool = True) -> Samples:
    out = Samples(keep=keep)
    for value in values:
        out.add(value)
    return out


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [
        ("Sum", 10.0),
        ("Average", 2.5),
        ("Minimum", 1.0),
        ("Maximum", 4.0),
        ("SampleCount", 4.0),
        ("p50", 2.0),
        ("p75", 3.0),
        ("p99", 4.0),
        ("p100", 4.0),
    ],
)
def test_each_statistic(statistic: str, expected: float) -> None:
    assert statistic_of(samples(3.0, 1.0, 4.0, 2.0), statistic) == expected


def test_no_sample_is_a_missing_datapoint() -> None:
    assert statistic_of(samples(), "Sum") is None


def test_percentiles_of_counts_need_no_values() -> None:
    # ELB counts are samples of 1: "Minimum, Maximum, and Average all return 1"
    counts = samples(1.0, 1.0, 1.0, keep=False)
    assert (statistic_of(counts, "Sum"), statistic_of(counts, "p99"), statistic_of(counts, "Average")) == (
        3.0,
        1.0,
        1.0,
    )


def test_merged_slices_hold_every_sample() -> None:
    merged = Samples.merged([samples(0.1, 0.9), samples(0.5)], keep=True)
    assert (merged.count, statistic_of(merged, "p50"), statistic_of(merged, "Maximum")) == (3, 0.5, 0.9)
