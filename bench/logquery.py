"""Logs Insights queries (``fleetops logs query``) over generated JSON-lines logs, against jq and
against DuckDB reading the same JSON without our query layer, in the same run.

For each size (``--lines``, default 1,000,000 and 10,000,000; 100,000,000 takes a 14 GB log and
about 40 minutes of jq) a log of requests like the example services' is written by
DuckDB (timestamps one millisecond apart, 6 services, levels, messages, response times), then
three representative queries run:

- ``errors-by-bin``: ``filter level = "error" | stats count() by bin(5m)``
- ``p95``: ``stats pct(response_time_ms, 95)``
- ``top-messages``: ``stats count() as n by msg | sort n desc | limit 10``

each through ``fleetops.ops.logquery.run_query`` (statistics off, as a user's query with no
``-o json``), through ``jq`` (the same answer, streamed with ``reduce``), and as hand-written
DuckDB SQL over ``read_json`` with the columns typed (the floor for our layer). It prints
lines per second and the ratios, and checks that the three answers agree.

    .venv/bin/python bench/logquery.py [--lines 1000000 10000000] [--skip-jq-above 10000000] [--with-100m]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from fleetops.ops.logquery import LogSource, run_query

HUNDRED_MILLION = 100_000_000
NEEDED_FOR_100M = 25 * 10**9
"""Bytes of temporary disk the 100M-line point asks for (its log is 14 GB; the rest is margin)."""
QUERIES = {
    "errors-by-bin": 'filter level = "error" | stats count() as n by bin(5m)',
    "p95": "stats pct(response_time_ms, 95) as p95",
    "top-messages": "stats count() as n by msg | sort n desc | limit 10",
}
JQ = {
    "errors-by-bin": (
        'reduce (inputs | select(.level == "error") | .timestamp'
        " | .[0:14] + (((.[14:16] | tonumber) / 5 | floor) * 5 | tostring"
        ' | if length == 1 then "0" + . else . end))'
        " as $k ({}; .[$k] += 1)"
    ),
    "p95": "[inputs | .response_time_ms] | sort | .[((length * 0.95) | ceil) - 1]",
    "top-messages": "reduce (inputs | .msg) as $m ({}; .[$m] += 1) | to_entries | sort_by(-.value) | .[0:10]",
}
DUCKDB = {
    "errors-by-bin": (
        "SELECT time_bucket(INTERVAL 5 minutes, CAST(timestamp AS TIMESTAMP)) AS b, count(*) AS n "
        "FROM logs WHERE level = 'error' GROUP BY b ORDER BY b"
    ),
    "p95": "SELECT quantile_disc(response_time_ms, 0.95) FROM logs",
    "top-messages": "SELECT msg, count(*) AS n FROM logs GROUP BY msg ORDER BY n DESC LIMIT 10",
}


def generate(path: Path, lines: int) -> None:
    """``lines`` request records, a millisecond apart from 2026-03-01T00:00:00Z."""
    duckdb.sql(
        f"""
        COPY (
          SELECT strftime(TIMESTAMP '2026-03-01' + i * INTERVAL 1 millisecond, '%Y-%m-%dT%H:%M:%S.%gZ')
                   AS timestamp,
                 CASE WHEN i % 50 = 0 THEN 'error' WHEN i % 10 = 0 THEN 'warning' ELSE 'info' END AS level,
                 CASE WHEN i % 50 = 0 THEN 'payment declined: ' || (i % 7)::VARCHAR
                      ELSE 'request ' || ['GET', 'POST', 'PUT'][1 + i % 3] END AS msg,
                 ['auth', 'menu', 'notifications', 'payments', 'orders', 'gateway'][1 + i % 6] AS service,
                 '/api/' || (i % 13)::VARCHAR AS path,
                 CASE WHEN i % 50 = 0 THEN 500 ELSE 200 END AS status,
                 (i * 7919) % 1000 + 1 AS response_time_ms
          FROM range({lines}) AS t(i)
        ) TO '{path}' (FORMAT JSON)
        """
    )


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = run()
    return time.perf_counter() - started, answer


def ours(path: Path, name: str) -> Any:
    rows = run_query(QUERIES[name], [LogSource("bench", "bench", path)], statistics=False).rows
    if name == "errors-by-bin":
        return {row["bin(5m)"][:16]: int(row["n"]) for row in rows}
    if name == "p95":
        return int(rows[0]["p95"])
    return sorted((row["msg"], int(row["n"])) for row in rows)


def with_jq(path: Path, name: str) -> Any:
    out = subprocess.run(["jq", "-n", "-c", JQ[name], str(path)], check=True, capture_output=True, text=True)
    answer = json.loads(out.stdout)
    if name == "errors-by-bin":
        return {key.replace("T", " "): value for key, value in answer.items()}
    if name == "p95":
        return int(answer)
    return sorted((entry["key"], entry["value"]) for entry in answer)


def with_duckdb(path: Path, name: str) -> Any:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    columns = "{'timestamp': 'VARCHAR', 'level': 'VARCHAR', 'msg': 'VARCHAR', 'response_time_ms': 'BIGINT'}"
    source = f"read_json('{path}', format = 'newline_delimited', columns = {columns})"
    connection.execute(f"CREATE VIEW logs AS SELECT * FROM {source}")
    rows = connection.execute(DUCKDB[name]).fetchall()
    connection.close()
    if name == "errors-by-bin":
        return {row[0].strftime("%Y-%m-%d %H:%M"): int(row[1]) for row in rows}
    if name == "p95":
        return int(rows[0][0])
    return sorted((row[0], int(row[1])) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--skip-jq-above", type=int, default=10_000_000, help="Lines above which jq is not run."
    )
    parser.add_argument(
        "--with-100m",
        action="store_true",
        help="Add the 100,000,000-line point (a 14 GB log in TMPDIR; jq is skipped there "
        "unless --skip-jq-above says otherwise).",
    )
    args = parser.parse_args()
    if args.with_100m and HUNDRED_MILLION not in args.lines:
        args.lines = [*args.lines, HUNDRED_MILLION]
        free = shutil.disk_usage(tempfile.gettempdir()).free
        if free < NEEDED_FOR_100M:
            raise SystemExit(
                f"--with-100m needs about {NEEDED_FOR_100M // 10**9} GB free in {tempfile.gettempdir()} "
                f"(TMPDIR), {free // 10**9} GB are"
            )
    if shutil.which("jq") is None:
        raise SystemExit("jq is not installed (apt-get install jq)")
    header = ("lines", "query", "ours s", "lines/s", "jq s", "x jq", "duckdb s", "/duckdb")
    print("{:>12} {:<14} {:>8} {:>12} {:>8} {:>6} {:>9} {:>8}".format(*header))
    for lines in args.lines:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "app.jsonl"
            generate(path, lines)
            for name in QUERIES:
                our_time, our_answer = timed(lambda name=name, path=path: ours(path, name))
                duck_time, duck_answer = timed(lambda name=name, path=path: with_duckdb(path, name))
                if our_answer != duck_answer:
                    raise SystemExit(
                        f"{name}: our answer {our_answer!r} differs from DuckDB's {duck_answer!r}"
                    )
                jq_cells = f"{'-':>8} {'-':>6}"
                if lines <= args.skip_jq_above:
                    jq_time, jq_answer = timed(lambda name=name, path=path: with_jq(path, name))
                    if our_answer != jq_answer:
                        raise SystemExit(f"{name}: our answer {our_answer!r} differs from jq's {jq_answer!r}")
                    jq_cells = f"{jq_time:8.2f} {jq_time / our_time:6.1f}"
                print(
                    f"{lines:>12,} {name:<14} {our_time:8.2f} {lines / our_time:12,.0f} {jq_cells} "
                    f"{duck_time:9.2f} {our_time / duck_time:8.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
