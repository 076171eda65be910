"""Heartbeat stamps in a local datastore: the newest one a restore leaves measures the data lost.

One row (``id = 1``) in the table ``fleetops_heartbeat`` holds the time of the last stamp, in
UTC: a stamp replaces it, so the table never grows and a backup holds the time it was taken at
(to one heartbeat interval). Backups and their verification leave this table out of the row
counts they compare (``fleetops.ops.backups.take``): it is fleetops' bookkeeping, not the
services' data, and it changes every second.

    stamp(stores, "orders-db", clock.now())
    newest_stamp(stores, "orders-db")    # datetime, or None when no stamp survived
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Hashable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fleetops.errors import BadInput
from fleetops.providers.local.datastores import LocalDatastores

if TYPE_CHECKING:
    import psycopg

HEARTBEAT_TABLE = "fleetops_heartbeat"
STAMPED_KINDS = ("postgres", "sqlite")
"""The kinds stamped (not Redis: a drill that loses one measures RPO from its backup's time)."""

_PG_CREATE = f"CREATE TABLE IF NOT EXISTS {HEARTBEAT_TABLE} (id integer PRIMARY KEY, at timestamptz NOT NULL)"
_PG_STAMP = (
    f"INSERT INTO {HEARTBEAT_TABLE} (id, at) VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET at = excluded.at"
)
_SQLITE_CREATE = f"CREATE TABLE IF NOT EXISTS {HEARTBEAT_TABLE} (id INTEGER PRIMARY KEY, at TEXT NOT NULL)"
_SQLITE_STAMP = (
    f"INSERT INTO {HEARTBEAT_TABLE} (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at"
)


def _kind(stores: LocalDatastores, name: str) -> str:
    kind = stores.stores[name].kind
    if kind not in STAMPED_KINDS:
        raise BadInput(
            f"datastore {name!r} is {kind}: heartbeat stamps are kept in {', '.join(STAMPED_KINDS)} only"
        )
    return kind


def stamp(stores: LocalDatastores, name: str, at: datetime) -> None:
    """Record ``at`` (aware) as the datastore's newest stamp, creating the table when missing."""
    import psycopg

    if _kind(stores, name) == "postgres":
        with psycopg.connect(stores.url(name), connect_timeout=2) as conn:
            conn.execute(_PG_CREATE)
            conn.execute(_PG_STAMP, (at,))
        return
    lite = sqlite3.connect(stores.sqlite_file(name), timeout=2)
    try:
        with lite:
            lite.execute(_SQLITE_CREATE)
            lite.execute(_SQLITE_STAMP, (at.astimezone(UTC).isoformat(),))
    finally:
        lite.close()


class Stamper:
    """Stamps datastores as :func:`stamp` does, keeping one PostgreSQL connection per datastore
    (by ``key``) from one stamp to the next: a new connection every second cost about 10 ms of
    CPU (a backend forked, a SCRAM exchange on both sides) for a one-row write. A kept
    connection that fails (a restore's ``DROP DATABASE ... WITH (FORCE)``, a restart, a dropped
    table) or whose URL changed (a rotated password) is replaced at once, within the same stamp.
    SQLite files are opened for each stamp: a restore may put another file in their place.
    Used by one thread at a time."""

    def __init__(self) -> None:
        self._connections: dict[Hashable, tuple[str, psycopg.Connection[tuple[object, ...]]]] = {}

    def stamp(self, key: Hashable, stores: LocalDatastores, name: str, at: datetime) -> None:
        """Record ``at`` as ``name``'s newest stamp (see :func:`stamp`)."""
        import psycopg

        if _kind(stores, name) != "postgres":
            stamp(stores, name, at)
            return
        url = stores.url(name)
        kept = self._connections.pop(key, None)
        if kept is not None:
            kept_url, conn = kept
            if kept_url == url and not conn.closed:
                try:
                    conn.execute(_PG_STAMP, (at,))
                except psycopg.Error:
                    pass  # replaced below
                else:
                    self._connections[key] = kept
                    return
            conn.close()
        conn = psycopg.connect(url, connect_timeout=2, autocommit=True)
        try:
            conn.execute(_PG_CREATE)
            conn.execute(_PG_STAMP, (at,))
        except BaseException:
            conn.close()
            raise
        self._connections[key] = (url, conn)

    def keep_only(self, keys: Collection[Hashable]) -> None:
        """Close the connections of every datastore not in ``keys`` (paused, stopped, gone)."""
        for key in [k for k in self._connections if k not in keys]:
            self._connections.pop(key)[1].close()

    def close(self) -> None:
        """Close every connection."""
        self.keep_only(())


def newest_stamp(stores: LocalDatastores, name: str) -> datetime | None:
    """The stamp the datastore holds now; None when it holds none (no table, or no row)."""
    import psycopg

    if _kind(stores, name) == "postgres":
        with psycopg.connect(stores.url(name), connect_timeout=5) as conn:
            found = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (HEARTBEAT_TABLE,)).fetchone()
            if not found or not found[0]:
                return None
            row = conn.execute(f"SELECT at FROM {HEARTBEAT_TABLE} WHERE id = 1").fetchone()
        return None if row is None else row[0].astimezone(UTC)
    lite = sqlite3.connect(stores.sqlite_file(name), timeout=5)
    try:
        try:
            found_row = lite.execute(f"SELECT at FROM {HEARTBEAT_TABLE} WHERE id = 1").fetchone()
        except sqlite3.OperationalError:  # no such table: no stamp survived
            return None
    finally:
        lite.close()
    return None if found_row is None else datetime.fromisoformat(str(found_row[0])).astimezone(UTC)
