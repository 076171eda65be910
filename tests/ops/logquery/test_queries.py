"""Logs Insights queries over JSON-lines files: each command and function with exact results."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fleetops.ops.logquery import LogSource, run_query

# Ten requests of the orders service, one a second from 12:00:00, and two of payments.
ORDERS = [
    {
        "timestamp": f"2026-03-01T12:00:{second:02d}.000Z",
        "level": "ERROR" if second in (2, 5, 8) else "INFO",
        "msg": "charge failed" if second in (2, 5) else ("db timeout" if second == 8 else "request"),
        "method": "POST" if second % 2 else "GET",
        "path": "/orders",
        "status": 500 if second in (2, 5, 8) else 200,
        "response_time_ms": (second + 1) * 150,
        "client": f"10.0.{second % 2}.7",
        "user": {"id": f"u{second % 3}"},
    }
    for second in range(10)
]
PAYMENTS = [
    {"timestamp": "2026-03-01T12:06:00.000Z", "level": "INFO", "msg": "paid", "response_time_ms": 20},
    {"timestamp": "2026-03-01T12:07:30.500Z", "level": "WARN", "msg": "slow bank", "response_time_ms": 2400},
]


def _slow(second: str, method: str, milliseconds: str) -> dict[str, str]:
    return {
        "@timestamp": f"2026-03-01 12:00:{second}.000",
        "method": method,
        "path": "/orders",
        "response_time_ms": milliseconds,
    }


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[LogSource]:
    folder = tmp_path_factory.mktemp("logs")
    return [
        LogSource("/fleetops/dev/orders", "orders-1", _write(folder / "orders-1.jsonl", ORDERS)),
        LogSource("/fleetops/dev/payments", "payments-1", _write(folder / "payments-1.jsonl", PAYMENTS)),
    ]


def rows(sources: list[LogSource], query: str) -> list[dict[str, str]]:
    return run_query(query, sources).rows


SEED_002 = [
    (
        "top error messages",
        'fields @timestamp, level, msg, error | filter level = "ERROR" | stats count() as error_count by msg '
        "| sort error_count desc | limit 10",
        [{"msg": "charge failed", "error_count": "2"}, {"msg": "db timeout", "error_count": "1"}],
    ),
    (
        "response time percentiles",
        "fields @timestamp, response_time_ms | filter ispresent(response_time_ms) "
        "| stats avg(response_time_ms), pct(response_time_ms, 50), pct(response_time_ms, 95), "
        "pct(response_time_ms, 99)",
        [
            {
                "avg(response_time_ms)": "889.1666666666666",
                "pct(response_time_ms, 50)": "750",
                "pct(response_time_ms, 95)": "2400",
                "pct(response_time_ms, 99)": "2400",
            }
        ],
    ),
    (
        "request volume over time",
        "fields @timestamp | stats count() as request_count by bin(5m)",
        [
            {"bin(5m)": "2026-03-01 12:00:00.000", "request_count": "10"},
            {"bin(5m)": "2026-03-01 12:05:00.000", "request_count": "2"},
        ],
    ),
    (
        "slow requests",
        "fields @timestamp, method, path, response_time_ms | filter response_time_ms > 1000 "
        "| sort @timestamp desc | limit 100",
        [
            {"@timestamp": "2026-03-01 12:07:30.500", "response_time_ms": "2400"},
            {
                "@timestamp": "2026-03-01 12:00:09.000",
                "method": "POST",
                "path": "/orders",
                "response_time_ms": "1500",
            },
            {
                "@timestamp": "2026-03-01 12:00:08.000",
                "method": "GET",
                "path": "/orders",
                "response_time_ms": "1350",
            },
            {
                "@timestamp": "2026-03-01 12:00:07.000",
                "method": "POST",
                "path": "/orders",
                "response_time_ms": "1200",
            },
            {
                "@timestamp": "2026-03-01 12:00:06.000",
                "method": "GET",
                "path": "/orders",
                "response_time_ms": "1050",
            },
        ],
    ),
    (
        "errors per five minutes, newest first",
        'fields @timestamp, @message | filter level = "ERROR" | stats count() by bin(5m) '
        "| sort @timestamp desc",
        [{"bin(5m)": "2026-03-01 12:00:00.000", "count()": "3"}],
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [case[1:] for case in SEED_002], ids=[case[0] for case in SEED_002]
)
def test_seed_002_queries(sources: list[LogSource], query: str, expected: list[dict[str, str]]) -> None:
    assert rows(sources, query) == expected


COMMANDS = [
    (
        "fields renames and computes",
        'fields msg as message, response_time_ms / 1000 as seconds | filter level = "WARN"',
        [{"message": "slow bank", "seconds": "2.4"}],
    ),
    (
        "display chooses the columns",
        'fields msg, level | filter level = "WARN" | display level',
        [{"level": "WARN"}],
    ),
    (
        "default columns are @timestamp and @message, newest first",
        'filter msg = "paid"',
        [{"@timestamp": "2026-03-01 12:06:00.000", "@message": json.dumps(PAYMENTS[0])}],
    ),
    (
        "limit after sort keeps the first rows",
        "fields response_time_ms | sort response_time_ms asc | limit 2",
        [{"response_time_ms": "20"}, {"response_time_ms": "150"}],
    ),
    (
        "sort by several keys",
        "filter ispresent(method) | stats count() as n by method, level | sort method desc, n asc",
        [
            {"method": "POST", "level": "ERROR", "n": "1"},
            {"method": "POST", "level": "INFO", "n": "4"},
            {"method": "GET", "level": "ERROR", "n": "2"},
            {"method": "GET", "level": "INFO", "n": "3"},
        ],
    ),
    (
        "parse with a glob, the last wildcard takes the rest",
        'filter level = "ERROR" | parse msg "* *" as first, rest | stats count() as n by first, rest',
        [
            {"first": "charge", "rest": "failed", "n": "2"},
            {"first": "db", "rest": "timeout", "n": "1"},
        ],
    ),
    (
        "parse with a regular expression's named groups",
        r"filter ispresent(client) | parse client /(?<net>\d+\.\d+)\.(?<half>\d)\.\d+/ "
        "| stats count() as n by net, half",
        [{"net": "10.0", "half": "0", "n": "5"}, {"net": "10.0", "half": "1", "n": "5"}],
    ),
    (
        "dedup keeps the newest of each value",
        "fields level, msg | dedup level | sort level",
        [
            {"level": "ERROR", "msg": "db timeout"},
            {"level": "INFO", "msg": "paid"},
            {"level": "WARN", "msg": "slow bank"},
        ],
    ),
    (
        "a second stats aggregates the first",
        "stats count() as n by level | stats sum(n) as total, max(n) as most",
        [{"total": "12", "most": "8"}],
    ),
    (
        "filter after stats",
        "stats count() as n by level | filter n > 1 | sort n",
        [{"level": "ERROR", "n": "3"}, {"level": "INFO", "n": "8"}],
    ),
    (
        "nested fields by dotted name",
        'filter user.id = "u2" | stats count() as n by user.id',
        [{"user.id": "u2", "n": "3"}],
    ),
    (
        "@log and @logStream",
        "stats count() as n by @log, @logStream | sort n desc",
        [
            {"@log": "/fleetops/dev/orders", "@logStream": "orders-1", "n": "10"},
            {"@log": "/fleetops/dev/payments", "@logStream": "payments-1", "n": "2"},
        ],
    ),
    (
        "unmask changes nothing",
        'filter level = "WARN" | fields msg | unmask',
        [{"msg": "slow bank"}],
    ),
    (
        "comments are ignored",
        '# the warnings\nfilter level = "WARN" # only one\n| fields msg',
        [{"msg": "slow bank"}],
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [case[1:] for case in COMMANDS], ids=[case[0] for case in COMMANDS]
)
def test_commands(sources: list[LogSource], query: str, expected: list[dict[str, str]]) -> None:
    assert rows(sources, query) == expected


AGGREGATES = [
    ("count(*)", "12"),
    ("count()", "12"),
    ("count(status)", "10"),
    ("count_distinct(level)", "3"),
    ("sum(response_time_ms)", "10670"),
    ("avg(status)", "290"),
    ("min(response_time_ms)", "20"),
    ("max(response_time_ms)", "2400"),
    ("pct(response_time_ms, 50)", "750"),
    ("stddev(status)", "144.9137674618944"),
    ("earliest(msg)", "request"),
    ("latest(msg)", "slow bank"),
    ("sortsFirst(level)", "ERROR"),
    ("sortsLast(level)", "WARN"),
    ("min(@timestamp)", "2026-03-01 12:00:00.000"),
    ("max(@timestamp)", "2026-03-01 12:07:30.500"),
    ("sum(response_time_ms) / count()", "889.1666666666666"),
]


@pytest.mark.parametrize(("aggregate", "expected"), AGGREGATES, ids=[case[0] for case in AGGREGATES])
def test_stats_functions(sources: list[LogSource], aggregate: str, expected: str) -> None:
    assert rows(sources, f"stats {aggregate} as value") == [{"value": expected}]


FUNCTIONS = [
    ("abs(-2.5)", "2.5"),
    ("ceil(1.2)", "2"),
    ("floor(1.8)", "1"),
    ("sqrt(16)", "4"),
    ("log(1)", "0"),
    ("greatest(1, 7, 3)", "7"),
    ("least(4, 2, 9)", "2"),
    ("2 ^ 10", "1024"),
    ("7 % 4", "3"),
    ("-status + 1", "-499"),
    ("concat(method, ' ', path)", "GET /orders"),
    ("strlen(msg)", "13"),
    ("toupper(method)", "GET"),
    ("tolower(level)", "error"),
    ("substr(path, 1, 3)", "ord"),
    ("substr(path, 2)", "rders"),
    ("replace(msg, 'failed', 'ok')", "charge ok"),
    ("strcontains(msg, 'charge')", "1"),
    ("trim('  x  ')", "x"),
    ("ltrim('xxy', 'x')", "y"),
    ("rtrim('yxx', 'x')", "y"),
    ("isempty(nosuchfield)", "true"),
    ("isblank('   ')", "true"),
    ("ispresent(status)", "true"),
    ("coalesce(nosuchfield, msg)", "charge failed"),
    ("tomillis(@timestamp)", "1772366402000"),
    ("frommillis(1772366402000)", "2026-03-01 12:00:02.000"),
    ("datefloor(@timestamp, 1m)", "2026-03-01 12:00:00.000"),
    ("dateceil(@timestamp, 1m)", "2026-03-01 12:01:00.000"),
    ("bin(1h)", "2026-03-01 12:00:00.000"),
    ("isvalidip(client)", "true"),
    ("isvalidipv4(client)", "true"),
    ("isvalidipv6(client)", "false"),
    ("isvalidip(msg)", "false"),
    ("isipinsubnet(client, '10.0.0.0/24')", "true"),
    ("isipv4insubnet(client, '10.0.1.0/24')", "false"),
    ("isipv6insubnet('2001:db8::1', '2001:db8::/32')", "true"),
    ("status >= 500 and method = 'GET'", "true"),
    ("status in [200, 404]", "false"),
    ("level not in ['INFO']", "true"),
    ("msg like 'charge'", "true"),
    ("msg like /^CHARGE/", "false"),
    ("msg like /(?i)^CHARGE/", "true"),
    ("msg =~ /fail(ed)?$/", "true"),
    ("msg not like 'db'", "true"),
    ("not (status = 500)", "false"),
]


@pytest.mark.parametrize(("expression", "expected"), FUNCTIONS, ids=[case[0] for case in FUNCTIONS])
def test_functions_and_operators(sources: list[LogSource], expression: str, expected: str) -> None:
    # The record at 12:00:02: GET /orders, 500, "charge failed", client 10.0.0.7.
    query = f'filter @timestamp = "2026-03-01T12:00:02Z" | fields {expression} as value'
    assert rows(sources, query) == [{"value": expected}]


def test_a_numeric_comparison_skips_values_that_are_not_numbers(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "a.jsonl",
        [{"timestamp": "2026-03-01T12:00:00Z", "n": "many"}, {"timestamp": "2026-03-01T12:00:01Z", "n": 5}],
    )
    assert run_query("filter n > 1 | fields n", [LogSource("g", "s", path)]).rows == [{"n": "5"}]


def test_the_time_window_is_inclusive_and_counts_scanned_records(sources: list[LogSource]) -> None:
    result = run_query(
        'filter level = "ERROR" | fields msg',
        sources,
        start=datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC),
        end=datetime(2026, 3, 1, 12, 6, tzinfo=UTC),
    )
    assert result.rows == [{"msg": "db timeout"}, {"msg": "charge failed"}]
    assert (result.records_scanned, result.records_matched) == (6, 2)
    assert result.to_json()["results"] == [
        [{"field": "msg", "value": "db timeout"}],
        [{"field": "msg", "value": "charge failed"}],
    ]


def test_no_log_files_give_no_rows(tmp_path: Path) -> None:
    result = run_query("stats count() by level", [LogSource("g", "s", tmp_path / "missing.jsonl")])
    assert (result.columns, result.rows, result.records_scanned) == (("level", "count()"), [], 0)


def test_lines_that_are_not_json_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('not json\n{"timestamp": "2026-03-01T12:00:00Z", "msg": "ok"}\n')
    assert run_query("fields msg", [LogSource("g", "s", path)]).rows == [{"msg": "ok"}]
