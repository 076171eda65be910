"""How messages show times and lengths of time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from fleetops.ops.clock import iso, span


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(hours=1, minutes=5, seconds=59), "1h05m"),
        (timedelta(minutes=4, seconds=30), "4m30s"),
        (timedelta(seconds=12.9), "12s"),
        (timedelta(seconds=-3), "0s"),
    ],
)
def test_span_shows_the_two_largest_units(delta: timedelta, shown: str) -> None:
    assert span(delta) == shown


def test_iso_is_utc_to_the_second() -> None:
    moment = datetime(2026, 11, 22, 10, 0, 0, 500_000, tzinfo=timezone(timedelta(hours=1)))
    assert iso(moment) == "2026-11-22T09:00:00Z"
    assert iso(moment.astimezone(UTC)) == "2026-11-22T09:00:00Z"
