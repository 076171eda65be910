"""``Sessions``: the connections to one migrated database, which every repository works through.

``Store`` is one (with its repositories on top); a repository takes ``Sessions``, not the
``Store`` that holds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from fleetops.store.database import WRITE_OPTION, StoreKind, store_kind


class Sessions:
    """Reading sessions and write transactions on ``engine`` (safe to share between threads)."""

    def __init__(self, engine: Engine, url: URL) -> None:
        self.engine = engine
        self.url = url
        self.kind: StoreKind = store_kind(url)
        self._read_sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading; anything left uncommitted is rolled back at the end."""
        with self._read_sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a write transaction: committed on success, rolled back on an exception.

        On SQLite the write lock is taken when it begins, so concurrent writers queue rather
        than fail; keep transactions short.
        """
        with self._write_sessions() as session, session.begin():
            yield session
