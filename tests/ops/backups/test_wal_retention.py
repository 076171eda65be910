"""Which archived WAL files a retention deletes: PostgreSQL's pg_archivecleanup rule, by name."""

from __future__ import annotations

import pytest

from fleetops.errors import BadInput
from fleetops.ops.backups.wal_retention import prunable, segment_name, start_lsn

MIB16 = 16 * 1024 * 1024


def test_the_segment_of_an_lsn_on_a_timeline() -> None:
    assert segment_name("0/5000028", timeline=1, segment_size=MIB16) == "000000010000000000000005"
    assert segment_name("1/A0000000", timeline=3, segment_size=MIB16) == "0000000300000001000000A0"
    assert segment_name("0/5000028", timeline=1, segment_size=64 * 1024 * 1024) == "000000010000000000000001"


def test_an_lsn_that_is_not_one_is_refused() -> None:
    with pytest.raises(BadInput, match="'5000028' is not a PostgreSQL LSN"):
        segment_name("5000028", timeline=1, segment_size=MIB16)


def test_files_before_the_cutoff_go_whatever_their_timeline_and_history_files_stay() -> None:
    names = [
        "000000010000000000000003",
        "000000010000000000000004.partial",
        "000000010000000000000004.00000028.backup",
        "000000010000000000000005",
        "000000020000000000000004",
        "000000020000000000000006",
        "00000002.history",
        "000000010000000000000002.tmp",
    ]
    assert prunable(names, "000000020000000000000005") == [
        "000000010000000000000003",
        "000000010000000000000004.00000028.backup",
        "000000010000000000000004.partial",
        "000000020000000000000004",
    ]


def test_the_start_of_a_base_backups_position() -> None:
    assert start_lsn("lsn:0/5000028-0/5000100") == "0/5000028"
    assert start_lsn("lsn:?-?") is None
    assert start_lsn("time:2026-12-07T12:00:00+00:00") is None
