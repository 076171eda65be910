from __future__ import annotations

from pathlib import Path

from fleetops.providers.local import logs
from fleetops.providers.local.logs import read_tail, tail_lines


def test_tail_lines_returns_the_last_complete_lines_across_blocks(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(logs, "_BLOCK", 7)
    path = tmp_path / "a.jsonl"
    path.write_text("".join(f"line {i}\n" for i in range(20)))

    assert tail_lines(path, 3) == ["line 17", "line 18", "line 19"]
    assert tail_lines(path, 50)[:2] == ["line 0", "line 1"]
    assert len(tail_lines(path, 50)) == 20


def test_tail_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert tail_lines(tmp_path / "nothing.jsonl", 5) == []


def test_read_tail_skips_lines_that_are_not_json_objects(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\nnot json\n[1]\n{"b": 2}\n')

    assert read_tail(path, 10) == [{"a": 1}, {"b": 2}]
