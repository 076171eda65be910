"""OutputTail: a raw output file converted into records once, across control planes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fleetops.providers.local.output import OutputTail, read_position
from fleetops.testing.waiting import wait_until


def _tail(folder: Path, records: list[dict[str, Any]]) -> OutputTail:
    return OutputTail(
        folder / "out.raw", folder / "out.pos", lambda line: {"msg": line}, records.append, name="test"
    )


def test_lines_are_converted_as_they_come_and_a_new_tail_goes_on_where_the_last_stopped(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "out.raw"
    raw.write_bytes(b"one\ntwo\n")
    first: list[dict[str, Any]] = []
    tail = _tail(tmp_path, first)
    wait_until(lambda: len(first) == 2, timeout=10, what="the two lines converted")
    with raw.open("ab") as handle:
        handle.write(b"three\nfour")
    wait_until(lambda: len(first) == 3, timeout=10, what="the third line converted")
    tail.finish(remove=False)
    # finish converts the last line, even without its newline: the process has ended.
    assert ([r["msg"] for r in first], read_position(tmp_path / "out.pos")) == (
        ["one", "two", "three", "four"],
        len(b"one\ntwo\nthree\nfour"),
    )
    with raw.open("ab") as handle:
        handle.write(b"\nfive\n")
    again: list[dict[str, Any]] = []
    _tail(tmp_path, again).finish(remove=True)
    assert ([r["msg"] for r in again], raw.exists(), (tmp_path / "out.pos").exists()) == (
        ["", "five"],
        False,
        False,
    )


def test_a_position_saved_by_an_older_version_is_read_and_overwritten_whole(tmp_path: Path) -> None:
    (tmp_path / "out.raw").write_bytes(b"old\nnew\n")
    (tmp_path / "out.pos").write_text("4\n")
    records: list[dict[str, Any]] = []
    _tail(tmp_path, records).finish(remove=False)
    assert ([r["msg"] for r in records], read_position(tmp_path / "out.pos")) == (["new"], 8)


def test_a_replaced_raw_file_is_read_from_its_start_and_the_smaller_position_saved(tmp_path: Path) -> None:
    (tmp_path / "out.raw").write_bytes(b"a long first life of the file\n")
    (tmp_path / "out.pos").write_text("30\n")
    (tmp_path / "out.raw").write_bytes(b"short\n")
    records: list[dict[str, Any]] = []
    _tail(tmp_path, records).finish(remove=False)
    assert ([r["msg"] for r in records], read_position(tmp_path / "out.pos")) == (["short"], 6)
