"""Engines for the store: SQLite (WAL) under the state directory by default, PostgreSQL by URL.

The URL comes from the caller, else ``FLEETOPS_DATABASE_URL``, else
``sqlite:///<state_dir>/fleetops.db``. PostgreSQL URLs are pinned to the psycopg 3 driver
(``postgresql+psycopg://``), the only PostgreSQL driver fleetops installs.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from fleetops.errors import BadInput
from fleetops.private_files import private_file

DATABASE_URL_ENV = "FLEETOPS_DATABASE_URL"
DEFAULT_DB_FILE = "fleetops.db"

# Seconds a SQLite connection waits for another writer before giving up. Writers are short
# (one API call's worth of rows), so a long wait only happens under real contention.
SQLITE_BUSY_TIMEOUT_S = 30.0

# Set on a connection (``engine.execution_options(**WRITE)``) to start its transactions with
# ``BEGIN IMMEDIATE`` on SQLite: the write lock is taken up front, so two writers queue on the
# busy timeout instead of one failing when it upgrades a read snapshot to a write.
WRITE_OPTION = "fleetops_write"


class StoreKind(StrEnum):
    """Which database engine backs a store."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


def resolve_url(url: str | None, state_dir: Path) -> URL:
    """The database URL to use: ``url``, else ``$FLEETOPS_DATABASE_URL``, else SQLite in ``state_dir``.

    Raises ``BadInput`` when the URL cannot be parsed or names a database fleetops does not support.
    """
    raw = url or os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{state_dir / DEFAULT_DB_FILE}"
    source = "the database URL" if url else f"${DATABASE_URL_ENV}"
    try:
        parsed = make_url(raw)
    except ArgumentError as err:
        raise BadInput(
            f"{source} {_safe(raw)!r} is not a database URL: expected sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from err
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    raise BadInput(
        f"{source} uses {backend!r}: fleetops stores its state in 'sqlite' or 'postgresql' "
        f"(got {parsed.render_as_string(hide_password=True)!r})"
    )


def store_kind(url: URL) -> StoreKind:
    """The kind of database ``url`` points at."""
    return StoreKind.SQLITE if url.get_backend_name() == "sqlite" else StoreKind.POSTGRESQL


def create_store_engine(url: URL) -> Engine:
    """An engine configured the way the store needs it (see the module docstring)."""
    if store_kind(url) is StoreKind.POSTGRESQL:
        return create_engine(url, pool_pre_ping=True)
    return _sqlite_engine(url)


def _sqlite_engine(url: URL) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    if in_memory:
        # One connection shared by every session: each new connection would be a new, empty database.
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 0}
        )
    else:
        assert url.database is not None
        # SQLite creates the -wal and -shm files with the database file's mode: 0600 for all.
        # A location that cannot be created is left for SQLite to refuse, in its words.
        database = Path(url.database)
        with contextlib.suppress(OSError):
            for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
                if path == database or path.exists():
                    private_file(path)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and commits before DDL; take it
        # over (SQLAlchemy's documented recipe) so migrations are transactional and writers
        # can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                _enable_wal(cursor)
                # WAL is durable across power loss at NORMAL up to the last checkpoint; FULL
                # would fsync every commit for little gain on a local control plane.
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the database to WAL, waiting up to the busy timeout for other connections.

    SQLite does not call its busy handler for this pragma: while another process holds the write
    lock of a fresh database (its first open, migrating it), the switch fails at once with
    "database is locked" (here, 13 of 240 ``Store.open`` calls, 4 at a time on fresh files).
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "database is locked" not in str(err) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _safe(raw: str) -> str:
    """``raw`` with anything that looks like a password hidden, for error messages."""
    scheme, sep, rest = raw.partition("://")
    if not sep or "@" not in rest:
        return raw
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
