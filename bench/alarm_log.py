"""Alarm evaluation over a long HAProxy access log: the first read, and incremental reads.

A JSON-lines access log of ``--lines`` requests (default 1,000,000: 1,000 requests a second for
1,000 s, three services, 10% 500s) is evaluated by an ``AlarmMonitor`` with the example fleet's
alarms (5 s periods, 3 evaluation periods: a 30 s window). Figures:

- first read: the monitor's first evaluation, which finds the window's start by a binary search
  on timestamps and parses only from there (lines parsed, seconds);
- incremental read: ``--append`` more lines appended, then one evaluation (lines per second);
- baselines, in the same run: parsing the whole file with the same parser (what every
  evaluation would cost without the remembered offset), and DuckDB aggregating the whole file
  (the fastest way to re-scan it), and ``json.loads`` alone on the appended lines (the ceiling of
  a Python line parser).

    .venv/bin/python bench/alarm_log.py [--lines 1000000] [--append 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from fleetops.ops.alarms import AlarmMonitor, LocalMetrics
from fleetops.ops.alarms.elb_metrics import request_metrics, timestamp_ms, written_at
from fleetops.ops.alarms.log_follower import LogFollower
from fleetops.spec.loader import load_fleet
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.local import EXAMPLES

SERVICES = ["auth", "menu", "notifications", "payments", "orders", "gateway"]
RATE = 1000  # requests a second


def write_lines(path: Path, start: datetime, count: int, seed: int) -> datetime:
    """Append ``count`` access-log lines from ``start`` at ``RATE`` a second; the time after the last."""
    rng = random.Random(seed)
    with path.open("a") as handle:
        for i in range(count):
            at = start + timedelta(seconds=i / RATE)
            service = rng.choice(SERVICES[3:])
            record = {
                "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "service": service,
                "frontend": f"fe_{service}",
                "instance": f"{service}-{rng.randrange(2)}",
                "method": "GET",
                "path": "/items",
                "status": 500 if rng.random() < 0.1 else 200,
                "response_time_ms": rng.randrange(1, 40),
                "total_time_ms": 45,
                "queue_time_ms": 0,
                "connect_time_ms": 0,
                "retries": 0,
                "bytes_sent": 312,
                "termination_state": "--",
                "client": "127.0.0.1:40000",
            }
            handle.write(json.dumps(record) + "\n")
    return start + timedelta(seconds=count / RATE)


def parse_all(path: Path) -> int:
    """Every line through the monitor's parser (json + metrics), as a re-read from the start would."""
    n = 0
    for record in LogFollower(path, written_at).read(0):
        timestamp_ms(record["timestamp"])
        n += len(request_metrics(record))
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--append", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "access.jsonl"
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=args.lines / RATE)
        end = write_lines(log, start, args.lines, seed=1)
        size_mb = log.stat().st_size / 1e6
        clock = FakeClock(end)
        metrics = LocalMetrics(log, None, SERVICES)
        fleet = load_fleet(EXAMPLES / "fleet.yaml")
        monitor = AlarmMonitor(fleet, "dev", SERVICES, metrics=metrics, clock=clock)

        began = time.perf_counter()
        monitor.refresh()
        first_s = time.perf_counter() - began
        first_lines = metrics.follower.lines_read
        held = monitor.store.sample_count()
        firing = sorted(f"{s.name}/{s.service}" for s in monitor.describe(state="ALARM"))

        clock.move_to(write_lines(log, end, args.append, seed=2))
        began = time.perf_counter()
        monitor.refresh()
        incremental_s = time.perf_counter() - began
        appended = metrics.follower.lines_read - first_lines

        began = time.perf_counter()
        parse_all(log)
        full_s = time.perf_counter() - began
        began = time.perf_counter()
        duckdb.connect().execute(
            "select service, count(*), count(*) filter (where status >= 500),"
            f" quantile_cont(response_time_ms, 0.99) from read_json_auto('{log}') group by service"
        ).fetchall()
        duck_s = time.perf_counter() - began
        with log.open("rb") as handle:
            tail = handle.readlines()[-args.append :]
        began = time.perf_counter()
        for line in tail:
            json.loads(line)
        loads_s = time.perf_counter() - began

    total = args.lines + args.append
    print(f"access log: {total:,} lines, {size_mb * total / args.lines:,.0f} MB; alarms in ALARM: {firing}")
    print(f"first read:       {first_s:7.3f} s, {first_lines:,} lines parsed, {held:,} samples held")
    print(f"  vs parsing the whole file:   {full_s:7.3f} s  -> {full_s / first_s:6.1f}x faster")
    print(f"  vs DuckDB over the file:     {duck_s:7.3f} s  -> {duck_s / first_s:6.1f}x faster")
    rate = appended / incremental_s
    print(f"incremental read: {incremental_s:7.3f} s for {appended:,} lines: {rate:,.0f} lines/s")
    ceiling = args.append / loads_s
    print(f"  vs json.loads alone:         {ceiling:,.0f} lines/s -> {rate / ceiling:.2f}x")


if __name__ == "__main__":
    main()
