"""Verify a PostgreSQL base backup (``pg_basebackup``) by starting a copy of it.

The sha256 is checked first (a damaged file is reported, never unpacked). Then the tar is
unpacked into a throw-away folder and started on a free port with WAL archiving off (a copy on
the live cluster's timeline must never write into its archive) and a unix socket in that folder
(local connections are trusted there, so the copy is reached as the cluster's own user whatever
its passwords); it replays the WAL the backup holds up to its end, and its tables are compared
with those recorded. Row counts are reported, not compared: they were read just before the
backup started, and writes during it are in the copy.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from fleetops.errors import FleetopsError
from fleetops.ops.backups.take import pg_counts
from fleetops.ops.backups.verify import Verification, sha256_of
from fleetops.providers.local.pg_server import SERVER_USER, PgServer, find_pg_bin_dir, run_pg
from fleetops.providers.local.process import free_loopback_port


def verify_base_backup(
    path: Path, *, sha256: str, tables: Iterable[str], user: str, database: str
) -> Verification:
    """Check ``path`` against ``sha256``, start a copy of it and compare its tables with
    ``tables`` (``user``: the cluster's superuser; ``database``: the one counted)."""
    import psycopg

    if not path.is_file():
        return Verification(False, f"backup file {path} is missing: not restored", 0, {})
    actual = sha256_of(path)
    if actual != sha256:
        return Verification(
            False,
            f"checksum mismatch: the file's sha256 is {actual}, the catalog's {sha256}; "
            "the file is damaged and was not restored",
            0,
            {},
        )
    started = time.monotonic()
    # A short path: the copy's unix socket lives here (107 bytes at most).
    root = Path(tempfile.mkdtemp(prefix="fo-base-"))
    try:
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SERVER_USER)
            os.chown(root, owner.pw_uid, owner.pw_gid)
        server = PgServer(bin_dir=find_pg_bin_dir(), folder=root / "server")
        run_pg("mkdir", "-m", "0700", "-p", server.data_dir)
        run_pg("tar", "-xzf", path, "-C", server.data_dir)
        port = free_loopback_port()
        # A scratch copy needs no durability.
        server.start(
            port,
            settings={"archive_mode": "off", "fsync": "off", "synchronous_commit": "off"},
            socket_dir=root,
        )
        try:
            with psycopg.connect(
                host=str(root), port=port, user=user, dbname=database, connect_timeout=10
            ) as conn:
                counts = pg_counts(conn)
        finally:
            server.stop()
    except (FleetopsError, OSError, psycopg.Error) as err:
        return Verification(False, f"the copy did not start: {err}", _ms(started), {})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    restore_ms = _ms(started)
    expected = set(tables)
    if set(counts) != expected:
        missing = sorted(expected - set(counts))
        extra = sorted(set(counts) - expected)
        return Verification(
            False,
            f"the copy's tables differ: missing {', '.join(missing) or 'none'}; "
            f"not at backup time: {', '.join(extra) or 'none'}",
            restore_ms,
            counts,
        )
    return Verification(
        True,
        f"a copy started and replayed its WAL to a consistent state: {len(counts)} tables, "
        f"{sum(counts.values())} rows (tables as at backup time)",
        restore_ms,
        counts,
    )


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
