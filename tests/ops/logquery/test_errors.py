"""Bad Logs Insights queries: BadInput naming the position of the problem."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleetops.errors import BadInput
from fleetops.ops.logquery import parse_query, run_query
from fleetops.ops.logquery.compiler import compile_query

END = "found the end of the query"
VALUE = "expected a field, a value or a function call"
COMMANDS = "fields, display, filter, stats, sort, limit, parse, dedup, unmask"
CASES = [
    ("", "query: it is empty; start with a command, e.g. 'fields @timestamp, @message'"),
    ("fields", f"query: column 7: {VALUE}, {END}"),
    (
        "select *",
        f"query: column 1: expected a command ({COMMANDS}), found 'select'",
    ),
    (
        "fields a | filter",
        f"query: column 18: {VALUE}, {END}",
    ),
    ('filter msg = "open', "query: column 14: a string that is not closed"),
    ("filter msg like /abc", "query: column 17: a regular expression that starts with '/' must end with '/'"),
    ("fields a b", "query: column 10: expected '|' before the next command, found 'b'"),
    ("limit 0", "query: column 1: limit 0: it must be from 1 to 10000"),
    ("limit ten", "query: column 7: expected a whole number of rows, found 'ten'"),
    ("filter msg like 5", "query: column 17: 'like' needs a \"string\" or a /regular expression/"),
    ("filter (a = 1", f"query: column 14: expected ')' to close '(', {END}"),
    ("filter a in [1, 2", f"query: column 18: expected ']' to close the list, {END}"),
    ('parse @message "* *" as a', "query: column 16: the pattern has 2 '*' but 1 names follow 'as'"),
    (
        "parse @message /(\\d+)/",
        "query: column 16: a parse regular expression needs named groups (?<name>...)",
    ),
    (
        "filter a = 1\n| sort b desc desc",
        "query: line 2, column 15: expected '|' before the next command, found 'desc'",
    ),
    ("filter a ~ 1", "query: column 10: unexpected character '~'"),
]


@pytest.mark.parametrize(("query", "message"), CASES, ids=[case[0] or "empty" for case in CASES])
def test_syntax_errors_name_the_position(query: str, message: str) -> None:
    with pytest.raises(BadInput) as raised:
        parse_query(query)
    assert raised.value.message == message


COMPILE_CASES = [
    ("fields nosuch(a)", "query: column 8: unknown function nosuch() (the functions are: "),
    ("fields count()", "query: column 8: count() is a stats function; use it in a 'stats' command"),
    ("stats level", "query: column 7: 'level' is not a stats function such as count()"),
    ("stats pct(a)", "query: column 7: pct() takes 2 arguments, not 1"),
    ("fields substr(a)", "query: column 8: substr() takes 2 to 3 arguments, not 1"),
    ("stats count() by bin(a)", "query: column 22: expected a duration such as 5m, 1h or 30s"),
    ("fields 5m", "query: column 8: a duration (5m) goes in bin(), datefloor() or dateceil()"),
    ("fields a, /x/", "query: column 11: a /regular expression/ goes after 'like' or '=~'"),
    (
        "stats count() as n by level | fields msg",
        "query: column 38: field 'msg' is not in the result of stats (it has: level, n)",
    ),
]


@pytest.mark.parametrize(("query", "message"), COMPILE_CASES, ids=[case[0] for case in COMPILE_CASES])
def test_meaning_errors_name_the_position(query: str, message: str) -> None:
    with pytest.raises(BadInput) as raised:
        compile_query(parse_query(query))
    assert raised.value.message.startswith(message)


def test_a_query_longer_than_aws_allows_is_refused() -> None:
    with pytest.raises(BadInput, match="query: it is 10001 characters long; the most is 10000"):
        parse_query("fields " + "a" * 9994)


def test_deep_nesting_is_refused_without_overflowing() -> None:
    with pytest.raises(BadInput, match="expressions nest deeper than 64 levels"):
        parse_query("filter " + "(" * 3000 + "a" + ")" * 3000)


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(
        BadInput, match=r"time window: the end \(2026-01-01T00:00:00\+00:00\) is before the start"
    ):
        run_query(
            "fields a",
            [],
            start=datetime(2026, 1, 2, tzinfo=UTC),
            end=datetime(2026, 1, 1, tzinfo=UTC),
        )
