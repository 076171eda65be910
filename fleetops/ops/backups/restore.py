"""Restore a backup file into a running local datastore, replacing what it holds.

The callers (the restore runbook) pause the services that use the datastore first; this module
still makes sure no session is left on it:

- PostgreSQL: ``pg_restore`` of the ``pg_dump -Fc`` file into a new database
  (``<database>_restoring``), then the live one dropped ``WITH (FORCE)`` (ending any session left)
  and the new one renamed in its place: the database is exactly the backup's, tables created
  since are gone.
- SQLite: the online backup API from the backup file onto the live file (one transaction for
  SQLite's readers and writers; the file's WAL is taken along).
- Redis: the server stopped (it saves its RDB file on the way out), the backup's RDB file put in
  its place, the server started again on its port.

A restore can run again from the start (a control plane that crashed in the middle does so).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from fleetops.errors import OperationFailed
from fleetops.ops.backups.take import pg_counts, redis_keyspace, sqlite_counts
from fleetops.providers.local.datastores import LocalDatastores

if TYPE_CHECKING:
    import psycopg


def restore_into(stores: LocalDatastores, name: str, path: Path) -> None:
    """Replace the data of datastore ``name`` with the backup file ``path``."""
    kind = stores.stores[name].kind
    if not path.is_file():
        raise OperationFailed(f"backup file {path} is missing: nothing was restored")
    if kind == "postgres":
        _postgres(stores, name, path)
    elif kind == "sqlite":
        _sqlite(path, stores.sqlite_file(name))
    elif kind == "redis":
        server = stores.redis(name)
        server.stop()
        shutil.copyfile(path, server.rdb_file)
        server.start(stores.ports[name])
    else:
        raise OperationFailed(
            f"datastore {name!r}: restores of {kind} are not supported by the local sandbox"
        )


def live_contents(stores: LocalDatastores, name: str) -> dict[str, int]:
    """What the datastore holds now, as a backup records it: rows per table (keys per Redis db)."""
    import psycopg

    kind = stores.stores[name].kind
    if kind == "postgres":
        with psycopg.connect(stores.url(name), connect_timeout=5) as conn:
            return pg_counts(conn)
    if kind == "sqlite":
        return sqlite_counts(stores.sqlite_file(name))
    if kind == "redis":
        return redis_keyspace(stores.ports[name], stores.password(name))
    raise OperationFailed(f"datastore {name!r}: {kind} is not run by the local sandbox")


def _postgres(stores: LocalDatastores, name: str, path: Path) -> None:
    from psycopg import sql

    store = stores.stores[name]
    # After a rotation the current login is the alternate user (orders_clone): the datastore's
    # own user may have no password any more.
    login = stores.login(name)
    port = stores.ports[name]
    database = sql.Identifier(store.database)
    # Restored into a database of its own, then renamed in place: a client connecting meanwhile
    # (the drills' heartbeat creates its table in an empty database) cannot get in the way, and
    # a pg_restore that fails leaves the live database as it was.
    restoring_name = f"{store.database}_restoring"
    restoring = sql.Identifier(restoring_name)
    with _admin(port, login.user, login.password) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(restoring))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(restoring))
    result = subprocess.run(
        [
            str(stores.pg(name).bin_dir / "pg_restore"), "--no-owner", "--exit-on-error",
            "-h", "127.0.0.1", "-p", str(port), "-U", login.user, "-d", restoring_name, str(path),
        ],
        capture_output=True, text=True, check=False, cwd="/",
        env={"PATH": os.environ.get("PATH", ""), "PGPASSWORD": login.password},
    )  # fmt: skip
    if result.returncode != 0:
        raise OperationFailed(f"pg_restore into {name!r} failed: {result.stderr.strip()[-1000:]}")
    with _admin(port, login.user, login.password) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(restoring, database))


def _admin(port: int, user: str, password: str) -> psycopg.Connection[tuple[object, ...]]:
    import psycopg

    return psycopg.connect(
        host="127.0.0.1", port=port, user=user, dbname="postgres", password=password,
        autocommit=True, connect_timeout=5,
    )  # fmt: skip


def _sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target, timeout=30) as dst:
        src.backup(dst)
    src.close()
    dst.close()
