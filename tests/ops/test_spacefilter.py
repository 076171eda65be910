"""Space-delimited and regular-expression filter patterns, with AWS's documented examples."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from fleetops.ops.spacefilter import regular_expression, space_delimited, split_fields

# AWS's example events ("Using filter patterns to match terms in space-delimited log events").
EVENTS = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355',
    '10.0.0.9 - ada [10/Oct/2000:13:51:00 -0700] "POST /orders.html HTTP/1.1" 404 77',
]


def _text(record: Mapping[str, Any]) -> str:
    return str(record["line"])


def matching(pattern: str) -> list[int]:
    matches = space_delimited(pattern, _text)
    return [index for index, line in enumerate(EVENTS) if matches({"line": line})]


def test_quoted_and_bracketed_text_is_one_field() -> None:
    assert split_fields(EVENTS[0]) == [
        "127.0.0.1",
        "-",
        "frank",
        "10/Oct/2000:13:25:15 -0700",
        "GET /apache_pb.gif HTTP/1.0",
        "200",
        "1534",
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", [0, 1, 2, 3]),
        ("[ip, user, username, timestamp, request, status_code]", []),
        ("[ip, user, username, timestamp, request, status_code = 200, bytes]", [0, 2]),
        ("[ip, user, username, timestamp, request, status_code = 5*, bytes]", [1]),
        ("[ip, user, username, timestamp, request, status_code != 200, bytes]", [1, 3]),
        ("[..., status_code, bytes > 4000]", [1, 2]),
        ("[..., bytes >= 1534 && bytes <= 4355]", [0, 2]),
        ("[..., status_code = 404 || status_code = 500, bytes]", [1, 3]),
        ("[ip = 10.*, ...]", [3]),
        ("[ip, user, username = ada, ...]", [3]),
        ("[..., request = %\\.html%, status_code, bytes]", [3]),
        ('[..., request = "GET /apache_pb.gif HTTP/1.0", status_code, bytes < 2000]', [0]),
        ("[ip, ..., bytes = 77]", [3]),
        ("[ERROR]", []),
    ],
)
def test_space_delimited_patterns(pattern: str, expected: list[int]) -> None:
    assert matching(pattern) == expected


def test_a_one_field_pattern_matches_events_of_one_field() -> None:
    matches = space_delimited("[ERROR]", _text)
    assert [matches({"line": line}) for line in ("ERROR", "ERROR something", "WARN")] == [True, False, True]


def test_a_numeric_comparison_skips_fields_that_are_not_numbers() -> None:
    matches = space_delimited("[duration > 1000]", _text)
    assert [matches({"line": line}) for line in ("1500", "fast", "999")] == [True, False, False]


def test_regular_expression_patterns_search_the_text() -> None:
    matches = regular_expression("%frank.*(500|404)%", _text)
    assert [matches({"line": line}) for line in EVENTS] == [False, True, False, False]
