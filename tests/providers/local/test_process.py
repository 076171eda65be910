from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from fleetops.providers.local.process import (
    JsonLinesFile,
    ManagedProcess,
    kill_leftovers,
    process_alive,
    process_start_time,
    to_record,
)
from fleetops.testing.waiting import DEADLINE, wait_until


def _start(tmp_path: Path, code: str) -> ManagedProcess:
    return ManagedProcess(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        log=JsonLinesFile(tmp_path / "logs" / "i-1.jsonl"),
        fields={"service": "menu", "instance": "i-1"},
        pid_file=tmp_path / "pids" / "i-1.pid",
    )


def _records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_plain_line_is_wrapped_into_a_json_record() -> None:
    record = to_record("hello world\n", stream="stderr", fields={"instance": "i-1"})

    assert set(record) == {"timestamp", "level", "msg", "stream", "instance"}
    assert (record["level"], record["msg"], record["stream"], record["instance"]) == (
        "error",
        "hello world",
        "stderr",
        "i-1",
    )


def test_a_json_line_is_kept_and_completed_without_overwriting_its_fields() -> None:
    line = '{"timestamp": "2026-01-01T00:00:00Z", "msg": "request", "instance": "own"}'

    record = to_record(line, stream="stdout", fields={"instance": "i-1", "service": "menu"})

    assert record == {
        "timestamp": "2026-01-01T00:00:00Z",
        "msg": "request",
        "instance": "own",
        "stream": "stdout",
        "service": "menu",
    }


def test_output_of_both_streams_becomes_json_lines(tmp_path: Path) -> None:
    process = _start(
        tmp_path,
        'import sys; print(\'{"msg": "structured", "status": 200}\'); print(\'plain\');'
        " print('oops', file=sys.stderr)",
    )

    assert process.wait(timeout=DEADLINE) == 0
    process.close_logs()

    records = _records(tmp_path / "logs" / "i-1.jsonl")
    summary = sorted((r["stream"], r["msg"], r.get("status")) for r in records)
    assert summary == [("stderr", "oops", None), ("stdout", "plain", None), ("stdout", "structured", 200)]
    assert not (tmp_path / "pids" / "i-1.pid").exists()


def test_stop_sends_sigterm_first(tmp_path: Path) -> None:
    process = _start(tmp_path, "import time; print('up', flush=True); time.sleep(60)")
    time.sleep(0.2)

    assert process.stop(grace=5) == -15


def test_stop_kills_a_process_that_ignores_sigterm_after_the_grace_period(tmp_path: Path) -> None:
    process = _start(
        tmp_path,
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True);"
        " time.sleep(60)",
    )
    wait_until((tmp_path / "logs" / "i-1.jsonl").read_text, what="the process up")
    started = time.monotonic()

    assert process.stop(grace=0.5) == -9
    assert 0.5 <= time.monotonic() - started < 10  # not the 60 s it would sleep


def test_stop_ends_the_children_of_the_process_too(tmp_path: Path) -> None:
    process = _start(
        tmp_path,
        "import subprocess, time; child = subprocess.Popen(['sleep', '60']); print(child.pid, flush=True);"
        " time.sleep(60)",
    )
    log = tmp_path / "logs" / "i-1.jsonl"
    wait_until(log.read_text, what="the child's pid")
    child = int(str(_records(log)[0]["msg"]))
    assert process_alive(child)

    process.stop(grace=2)

    assert not process_alive(child)


def test_kill_leftovers_stops_recorded_processes_and_ignores_reused_pids(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    leftover = subprocess.Popen(["sleep", "60"], start_new_session=True)
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        (pids / "old.pid").write_text(f"{leftover.pid} {process_start_time(leftover.pid)}\n")
        (pids / "reused.pid").write_text(f"{bystander.pid} 1\n")

        assert kill_leftovers(pids) == [leftover.pid]

        assert leftover.wait(timeout=5) == -9
        assert bystander.poll() is None
        assert list(pids.iterdir()) == []
    finally:
        bystander.kill()
        bystander.wait()
        leftover.kill()
        leftover.wait()
