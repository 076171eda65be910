"""Following a JSON-lines log: each read parses only what was appended."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fleetops.ops.alarms.elb_metrics import written_at
from fleetops.ops.alarms.log_follower import DISORDER_MS, LogFollower

BASE = 1795348800000  # 2026-11-22T12:00:00Z


def line(at_ms: int, n: int) -> str:
    stamp = datetime.fromtimestamp(at_ms / 1000, UTC).isoformat(timespec="milliseconds")
    return json.dumps({"timestamp": stamp.replace("+00:00", "Z"), "n": n}) + "\n"


def numbers(follower: LogFollower, since_ms: int = 0) -> list[int]:
    return [record["n"] for record in follower.read(since_ms)]


def test_each_read_returns_only_the_complete_lines_appended_since(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    log.write_text(line(BASE, 1) + line(BASE + 1, 2))
    follower = LogFollower(log, written_at)
    assert numbers(follower) == [1, 2]
    with log.open("a") as handle:
        handle.write(line(BASE + 2, 3) + line(BASE + 3, 4)[:10])  # the last one half written
    assert numbers(follower) == [3]
    with log.open("a") as handle:
        handle.write(line(BASE + 3, 4)[10:])
    assert numbers(follower) == [4]
    assert numbers(follower) == []


def test_the_first_read_of_a_long_log_starts_near_the_window(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    # 50,000 lines, one every 100 ms: 5,000 s of traffic; the window wants the last 10 s.
    log.write_text("".join(line(BASE + 100 * i, i) for i in range(50_000)))
    follower = LogFollower(log, written_at)
    since = BASE + 100 * 49_900
    found = numbers(follower, since)
    assert found[-1] == 49_999
    # Lines from DISORDER_MS before the window on: the search found the exact line.
    assert found[0] == 49_900 - DISORDER_MS // 100
    assert follower.lines_read == len(found)


def test_a_replaced_log_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    log.write_text(line(BASE, 1) + line(BASE + 1, 2))
    follower = LogFollower(log, written_at)
    assert numbers(follower) == [1, 2]
    log.unlink()
    log.write_text(line(BASE + 5, 3))
    assert numbers(follower) == [3]


def test_unparsable_lines_are_skipped_and_a_missing_log_is_empty(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    follower = LogFollower(log, written_at)
    assert numbers(follower) == []
    log.write_text("not json\n[1]\n" + line(BASE, 7))
    assert numbers(follower) == [7]
