"""Take a backup of one local datastore into a file, with what a restore must show again.

- PostgreSQL: ``pg_dump -Fc`` of the datastore's database. The row counts and the WAL position
  (``pg_current_wal_lsn()``) are read in a repeatable-read transaction whose snapshot
  ``pg_dump --snapshot`` then uses, so the counts are exactly what the dump holds.
- SQLite: the online backup API (a consistent copy while writers go on); counts read from the copy.
- Redis: ``BGSAVE``, then the RDB file copied once Redis reports the save done; the key count per
  database is read just before the save (writes landing meanwhile may add keys).

The file is written mode 0600; it holds the datastore's data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fleetops.errors import OperationFailed
from fleetops.ops.drills.heartbeat import HEARTBEAT_TABLE
from fleetops.private_files import private_file, private_folder
from fleetops.providers.local.datastores import LocalDatastores
from fleetops.providers.local.redis_server import redis_command

if TYPE_CHECKING:
    import psycopg

SUFFIXES = {"postgres": ".dump", "sqlite": ".sqlite", "redis": ".rdb"}
# The drills' heartbeat table is left out: fleetops' bookkeeping, rewritten every second.
_PG_COUNTABLE = (
    "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
    " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
    f" AND table_name <> '{HEARTBEAT_TABLE}' ORDER BY 1, 2"
)


@dataclass(frozen=True)
class Taken:
    """A backup file and what was recorded about its source when it was taken."""

    path: Path
    tool: str
    tool_version: str
    source_position: str
    contents: dict[str, int]
    """Table (``schema.table``; Redis: ``db0``) -> rows (keys) at backup time."""


def take_backup(stores: LocalDatastores, name: str, path: Path) -> Taken:
    """Back up datastore ``name`` of ``stores`` into ``path`` (its suffix: ``SUFFIXES``)."""
    kind = stores.stores[name].kind
    private_folder(path.parent)
    if kind == "postgres":
        return _postgres(stores, name, path)
    if kind == "sqlite":
        return _sqlite(stores.sqlite_file(name), path)
    if kind == "redis":
        return _redis(stores, name, path)
    raise OperationFailed(f"datastore {name!r}: backups of {kind} are not supported by the local sandbox")


def pg_counts(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, int]:
    """Rows per table of every user schema, ``schema.table`` -> count."""
    from psycopg import sql

    out: dict[str, int] = {}
    for schema, table in conn.execute(_PG_COUNTABLE).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(str(schema)), sql.Identifier(str(table))
        )
        row = conn.execute(query).fetchone()
        out[f"{schema}.{table}"] = int(row[0]) if row else 0  # type: ignore[call-overload]
    return out


def sqlite_counts(path: Path) -> dict[str, int]:
    """Rows per table of a SQLite file, opened read-only."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        names = [
            str(row[0])
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND name <> ? ORDER BY name",
                (HEARTBEAT_TABLE,),
            )
        ]
        return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def redis_keyspace(port: int, password: str) -> dict[str, int]:
    """Keys per database (``db0`` -> count) from ``INFO keyspace``."""
    info = redis_command(port, password, "INFO", "keyspace")
    out: dict[str, int] = {}
    for line in str(info).splitlines():
        if line.startswith("db") and ":" in line:
            db, fields = line.split(":", 1)
            out[db] = int(dict(f.split("=", 1) for f in fields.split(","))["keys"])
    return out


def _postgres(stores: LocalDatastores, name: str, path: Path) -> Taken:
    import psycopg

    store = stores.stores[name]
    server = stores.pg(name)
    pg_dump = server.bin_dir / "pg_dump"
    version = subprocess.run(
        [pg_dump, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    login = stores.login(name)  # after a rotation, the alternate user (orders_clone) holds the password
    with psycopg.connect(stores.url(name, login)) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            snapshot_row = conn.execute("SELECT pg_export_snapshot(), pg_current_wal_lsn()::text").fetchone()
            assert snapshot_row is not None
            snapshot, lsn = str(snapshot_row[0]), str(snapshot_row[1])
            contents = pg_counts(conn)
            # The snapshot lives as long as this transaction: pg_dump runs inside it.
            private_file(path)
            result = subprocess.run(
                [
                    str(pg_dump), "-Fc", f"--snapshot={snapshot}", "-h", "127.0.0.1",
                    "-p", str(stores.ports[name]), "-U", login.user, "-d", store.database, "-f", str(path),
                ],
                capture_output=True, text=True, check=False, cwd="/",
                env={**_base_env(), "PGPASSWORD": login.password},
            )  # fmt: skip
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        raise OperationFailed(f"pg_dump of {name!r} failed: {result.stderr.strip()[-1000:]}")
    return Taken(path, "pg_dump -Fc", version, f"lsn:{lsn}", contents)


def _sqlite(source: Path, path: Path) -> Taken:
    at = datetime.now(UTC)
    private_file(path)
    with sqlite3.connect(source) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    version = f"SQLite {sqlite3.sqlite_version}"
    return Taken(path, "sqlite3 online backup API", version, f"time:{at.isoformat()}", sqlite_counts(path))


def _redis(stores: LocalDatastores, name: str, path: Path) -> Taken:
    port, password = stores.ports[name], stores.password(name)
    server = stores.redis(name)
    info = str(redis_command(port, password, "INFO", "server"))
    version = next(
        (line.split(":", 1)[1] for line in info.splitlines() if line.startswith("redis_version:")), "?"
    )
    contents = redis_keyspace(port, password)
    offset = _info_field(port, password, "replication", "master_repl_offset")
    # rdb_saves counts finished saves (LASTSAVE has a one-second resolution: two saves in one
    # second look like one).
    before = int(_info_field(port, password, "persistence", "rdb_saves") or 0)
    redis_command(port, password, "BGSAVE")
    deadline = time.monotonic() + 300
    while True:
        saves = int(_info_field(port, password, "persistence", "rdb_saves") or 0)
        if saves > before and _info_field(port, password, "persistence", "rdb_bgsave_in_progress") == "0":
            break
        if time.monotonic() > deadline:
            raise OperationFailed(f"BGSAVE of {name!r} did not finish within 300 s")
        time.sleep(0.05)
    if _info_field(port, password, "persistence", "rdb_last_bgsave_status") != "ok":
        raise OperationFailed(f"BGSAVE of {name!r} failed: see {server.folder / 'server.log'}")
    private_file(path)
    shutil.copyfile(server.rdb_file, path)
    return Taken(path, "redis BGSAVE (RDB)", f"Redis {version.strip()}", f"offset:{offset}", contents)


def _info_field(port: int, password: str, section: str, key: str) -> str:
    info = str(redis_command(port, password, "INFO", section))
    for line in info.splitlines():
        if line.startswith(f"{key}:"):
            return line.split(":", 1)[1].strip()
    return ""


def _base_env() -> dict[str, str]:
    return {key: os.environ[key] for key in ("PATH", "LANG", "TZ") if key in os.environ}
