"""Timestamps (fleetops/engine/expressions/choice/timestamps.py)."""

from __future__ import annotations

import pytest

from fleetops.engine.expressions import is_timestamp, parse_timestamp


def test_offsets_name_the_same_instant() -> None:
    assert parse_timestamp("2012-10-09T20:00:55+01:00") == parse_timestamp("2012-10-09T19:00:55Z")


def test_fractions_are_kept_to_the_nanosecond() -> None:
    assert parse_timestamp("2012-10-09T19:00:55.000000001Z") == (1349809255, 1)


@pytest.mark.parametrize(
    "text",
    [
        "2016-13-05T21:29:29Z",
        "2016-12-05T25:29:29Z",
        "2016-12-05T21:29:29",
        "2016-12-05 21:29:29Z",
        "05-12-2016T21:29:29Z",
        "2016-12-05t21:29:29z",
        "2023-02-24",
    ],
)
def test_strings_aws_does_not_accept_are_not_timestamps(text: str) -> None:
    assert is_timestamp(text) is False
