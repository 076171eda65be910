"""CloudWatch Logs filter patterns over JSON records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fleetops.errors import BadInput
from fleetops.ops.logfilter import compile_filter, in_window

RECORD: dict[str, Any] = {
    "level": "error",
    "msg": "connection refused by payments",
    "status": 503,
    "latency_ms": 12.5,
    "path": "/orders",
    "ok": False,
    "user": {"name": "ada", "roles": ["admin", "cook"]},
    "trace": None,
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", True),
        ("error", True),
        ("ERROR", False),  # terms are case-sensitive
        ("error payments", True),
        ("error kitchen", False),
        ('"connection refused"', True),
        ('"refused connection"', False),
        ("error -payments", False),
        ("error -kitchen", True),
        ('-"by payments"', False),
        ("?kitchen ?payments", True),
        ("?kitchen ?bar", False),
        ("error ?kitchen", False),
        ("{ $.status >= 500 }", True),
        ("{ $.status < 500 }", False),
        ("{ $.status = 503 }", True),
        ("{ $.status != 503 }", False),
        ("{ $.latency_ms > 12.4 }", True),
        ('{ $.level = "error" }', True),
        ("{ $.level = error }", True),
        ('{ $.msg = "connection*" }', True),
        ('{ $.msg = "*kitchen*" }', False),
        ('{ $.path = "/ord?rs" }', False),  # only * is a wildcard
        ("{ $.user.name = ada }", True),
        ("{ $.user.roles[1] = cook }", True),
        ("{ $.user.roles[5] = cook }", False),
        ("{ $.status > 500 && $.path = /orders }", True),
        ("{ $.status > 500 && $.path = /menu }", False),
        ("{ $.path = /menu || $.status = 503 }", True),
        ("{ ($.path = /menu || $.path = /orders) && $.level = error }", True),
        ("{ $.trace IS NULL }", True),
        ("{ $.ok IS FALSE }", True),
        ("{ $.ok IS TRUE }", False),
        ("{ $.user EXISTS }", True),
        ("{ $.missing NOT EXISTS }", True),
        ("{ $.missing = 1 }", False),
        ("{ $.level > 1 }", False),  # a numeric comparison with text does not match
    ],
)
def test_pattern_matches(pattern: str, expected: bool) -> None:
    assert compile_filter(pattern)(RECORD) is expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{ $.status >= 500", "filter pattern '{ $.status >= 500': a JSON condition must end with '}'"),
        ("{ }", "filter pattern '{ }': empty JSON condition"),
        ("{ $.status }", "filter pattern '{ $.status }': expected a comparison operator at the end"),
        (
            "{ status = 1 }",
            "filter pattern '{ status = 1 }': expected a selector like $.status, got 'status'",
        ),
        ("{ ($.a = 1 }", "filter pattern '{ ($.a = 1 }': missing ')'"),
        ("{ $.a = 1 $.b = 2 }", "filter pattern '{ $.a = 1 $.b = 2 }': unexpected '$.b'"),
        (
            "{ $.a IS MAYBE }",
            "filter pattern '{ $.a IS MAYBE }': expected NULL, TRUE or FALSE after IS, got 'MAYBE'",
        ),
        ("[ip, user", "filter pattern '[ip, user': a space-delimited pattern must end with ']'"),
        ("[ip, , user]", "filter pattern '[ip, , user]': an empty field between commas"),
        ("[size > big]", "filter pattern '[size > big]': > compares numbers, got 'big'"),
        (
            "%ab(%",
            "filter pattern '%ab(%': a bad regular expression: "
            "missing ), unterminated subpattern at position 2",
        ),
    ],
)
def test_invalid_patterns_say_what_is_wrong(pattern: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        compile_filter(pattern)
    assert caught.value.message == message


def test_the_time_window_is_inclusive_and_skips_records_without_a_time() -> None:
    window = in_window(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), datetime(2026, 3, 1, 12, 5, tzinfo=UTC))
    stamps = [
        "2026-03-01T11:59:59.999Z",
        "2026-03-01T12:00:00Z",
        "2026-03-01T14:05:00+02:00",
        "2026-03-01T12:05:01Z",
    ]
    assert [window({"timestamp": stamp}) for stamp in stamps] == [False, True, True, False]
    assert [window(record) for record in ({}, {"timestamp": "yesterday"}, {"timestamp": 5})] == [False] * 3


def test_an_open_window_takes_every_record() -> None:
    assert in_window(None, None)({}) is True
