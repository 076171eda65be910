"""Retention of a sandbox PostgreSQL's WAL archive: the segments no kept base backup needs go.

A point-in-time restore starts from a base backup and replays the archived WAL after its start
(``fleetops.ops.backups.pitr``), so segments older than the oldest kept base backup's start can
never be replayed. They are deleted with the rule of PostgreSQL's ``pg_archivecleanup``: a WAL
segment file (or a ``.backup`` / ``.partial`` file of one) whose position precedes the cutoff
segment's goes, whatever its timeline; timeline history files (``.history``) and anything else
stay. Without any base backup nothing is deleted (what the archive could still serve is not
fleetops' to judge).

    prune_archive(stores, "orders-db", "0/5000028")   # the file names deleted, oldest first
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from fleetops.errors import BadInput
from fleetops.providers.local.datastores import LocalDatastores

_SEGMENT = re.compile(r"^[0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?$")
_SEGMENT_SIZE = "SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'"
_LSN = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")


def segment_name(lsn: str, *, timeline: int, segment_size: int) -> str:
    """The name of the WAL segment file holding ``lsn`` (``X/Y``) on ``timeline``."""
    found = _LSN.match(lsn)
    if found is None:
        raise BadInput(f"{lsn!r} is not a PostgreSQL LSN (X/Y in hexadecimal)")
    position = (int(found.group(1), 16) << 32) | int(found.group(2), 16)
    number = position // segment_size
    per_id = 0x1_0000_0000 // segment_size
    return f"{timeline:08X}{number // per_id:08X}{number % per_id:08X}"


def prunable(names: Iterable[str], cutoff: str) -> list[str]:
    """The archive's file names ``pg_archivecleanup`` would delete before segment ``cutoff``
    (timelines ignored), sorted."""
    return sorted(n for n in names if _SEGMENT.match(n) and n[8:24] < cutoff[8:24])


def start_lsn(source_position: str) -> str | None:
    """The start of a base backup's catalog position (``lsn:START-END``); None for another kind."""
    if not source_position.startswith("lsn:"):
        return None
    start = source_position.removeprefix("lsn:").split("-", 1)[0]
    return start if _LSN.match(start) else None


def prune_archive(stores: LocalDatastores, name: str, oldest_start: str) -> list[str]:
    """Delete the archived WAL of datastore ``name`` that precedes ``oldest_start`` (the oldest
    kept base backup's start LSN); the names deleted."""
    import psycopg

    with psycopg.connect(stores.url(name), connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'"
        ).fetchone()
    segment_size = int(row[0]) if row else 16 * 1024 * 1024
    cutoff = segment_name(oldest_start, timeline=1, segment_size=segment_size)
    archive = stores.wal_archive(name)
    names = [p.name for p in archive.iterdir()] if archive.is_dir() else []
    deleted = []
    for file in prunable(names, cutoff):
        try:
            Path(archive / file).unlink()
        except FileNotFoundError:  # another control plane's look deleted it meanwhile
            continue
        deleted.append(file)
    return deleted
