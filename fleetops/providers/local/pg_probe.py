"""A PostgreSQL datastore's health query over a connection kept from one check to the next.

A new connection for every check cost about 15 ms of CPU (a backend forked, a SCRAM exchange on
both sides) for a one-row answer, and the status and the metrics sampler ask every few seconds.
The query still runs on the server each time; a kept connection that fails (the server stopped
or restarted, a restore's ``DROP DATABASE ... WITH (FORCE)``) or whose URL changed (a rotated
password) is replaced at once, within the same check, so a server that is down reports what a new
connection would have met. Not repeated is the login: a password revoked on the server while
the URL stays the same shows healthy until the kept connection is replaced. Called from the
server's request threads and the metrics sampler's thread: one lock per datastore.

psycopg is imported on use, as ``fleetops.providers.local.datastores`` says why.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT_S = 2


class PgProbe:
    """Runs one query on a kept connection (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: tuple[str, psycopg.Connection[tuple[Any, ...]]] | None = None

    def fetchone(self, url: str, query: str) -> tuple[Any, ...] | None:
        """The first row of ``query`` at ``url``; psycopg's error when a new connection fails too."""
        import psycopg

        with self._lock:
            kept, self._kept = self._kept, None
            if kept is not None:
                kept_url, conn = kept
                if kept_url == url and not conn.closed:
                    try:
                        row = conn.execute(query).fetchone()
                    except psycopg.Error:
                        pass  # replaced below
                    else:
                        self._kept = kept
                        return row
                conn.close()
            conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
            try:
                row = conn.execute(query).fetchone()
            except BaseException:
                conn.close()
                raise
            self._kept = (url, conn)
            return row

    def close(self) -> None:
        """Close the kept connection, if any (a later check opens another)."""
        with self._lock:
            kept, self._kept = self._kept, None
        if kept is not None:
            kept[1].close()
