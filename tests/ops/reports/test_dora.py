"""The DORA bands' cut points (DORA's 2023 report, ``ops.reports.dora``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetops.ops.reports.dora import Band, failure_rate_band, frequency_band, lead_time_band, restore_band


@pytest.mark.parametrize(
    ("per_day", "band"),
    [
        (3.0, Band.ELITE),
        (1.0, Band.ELITE),
        (0.99, Band.HIGH),
        (1 / 7, Band.HIGH),
        (0.14, Band.MEDIUM),
        (1 / 30, Band.MEDIUM),
        (0.03, Band.LOW),
        (0.0, Band.LOW),
    ],
)
def test_deployment_frequency(per_day: float, band: Band) -> None:
    assert frequency_band(per_day) is band


@pytest.mark.parametrize(
    ("median", "band"),
    [
        (timedelta(hours=23), Band.ELITE),
        (timedelta(days=1), Band.HIGH),
        (timedelta(days=7), Band.MEDIUM),
        (timedelta(days=29), Band.MEDIUM),
        (timedelta(days=30), Band.LOW),
    ],
)
def test_lead_time(median: timedelta, band: Band) -> None:
    assert lead_time_band(median) is band


@pytest.mark.parametrize(
    ("rate", "band"),
    [
        (0.0, Band.ELITE),
        (0.05, Band.ELITE),
        (0.06, Band.HIGH),
        (0.10, Band.HIGH),
        (0.15, Band.MEDIUM),
        (0.16, Band.LOW),
        (1.0, Band.LOW),
    ],
)
def test_change_failure_rate(rate: float, band: Band) -> None:
    assert failure_rate_band(rate) is band


@pytest.mark.parametrize(
    ("median", "band"),
    [
        (timedelta(minutes=59), Band.ELITE),
        (timedelta(hours=1), Band.HIGH),
        (timedelta(days=1), Band.MEDIUM),
        (timedelta(days=7), Band.LOW),
    ],
)
def test_time_to_restore(median: timedelta, band: Band) -> None:
    assert restore_band(median) is band
