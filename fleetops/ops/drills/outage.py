"""The outage a ``datastore-loss`` drill causes: every table of a local datastore gone, on the
running server, with the services still connected to it (as a dropped database or a wiped
volume would leave them).

- PostgreSQL: ``DROP DATABASE ... WITH (FORCE)`` (sessions ended) and an empty one created.
- SQLite: an empty database copied over the live file with the online backup API (the services'
  connections stay open and see no tables).
- Redis: ``FLUSHALL`` (every key of every database gone; clients stay connected).
"""

from __future__ import annotations

import sqlite3

from fleetops.errors import BadInput, OperationFailed
from fleetops.providers.local.datastores import LocalDatastores
from fleetops.providers.local.redis_server import RedisUnavailable, redis_command

LOSABLE_KINDS = ("postgres", "sqlite", "redis")
"""The kinds a datastore-loss drill destroys and restores."""


def destroy(stores: LocalDatastores, name: str) -> None:
    """Remove every table of datastore ``name`` (see the module docstring)."""
    import psycopg
    from psycopg import sql

    store = stores.stores[name]
    if store.kind == "postgres":
        login = stores.login(name)
        with psycopg.connect(
            host="127.0.0.1", port=stores.ports[name], user=login.user, dbname="postgres",
            password=login.password, autocommit=True, connect_timeout=5,
        ) as conn:  # fmt: skip
            database = sql.Identifier(store.database)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(database))
        return
    if store.kind == "sqlite":
        empty = sqlite3.connect(":memory:")
        live = sqlite3.connect(stores.sqlite_file(name), timeout=30)
        try:
            empty.backup(live)
        finally:
            live.close()
            empty.close()
        return
    if store.kind == "redis":
        login = stores.login(name)
        try:
            redis_command(stores.ports[name], login.password, "FLUSHALL", user=login.user, timeout=10)
        except RedisUnavailable as err:
            raise OperationFailed(f"datastore {name!r}: FLUSHALL failed: {err}") from err
        return
    raise BadInput(
        f"datastore {name!r} is {store.kind}: datastore-loss drills run on {', '.join(LOSABLE_KINDS)} only"
    )
