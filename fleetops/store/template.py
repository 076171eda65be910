"""A new SQLite store starts as a copy of an empty, migrated database made once.

Migrating a new database ran every revision through Alembic: ~0.3 s of CPU (Alembic, the SQL
dialects it imports, then each revision), paid at the first start of every control plane and by
every store a test opens. The result depends only on the revision files and on SQLite's version,
so it is made once per pair of them, kept in the user's cache (``fleetops.cache.cache_dir()``,
``store/<key>.db``), and a new store's file is a copy of it. The copy is then opened like any
store: it is at the heads, so nothing is migrated. Without a cache to write, or on any failure
here, the store is migrated in place as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import URL
from sqlalchemy.exc import SQLAlchemyError

from fleetops.cache import cache_dir
from fleetops.private_files import private_folder
from fleetops.store.database import create_store_engine
from fleetops.store.migrations import MIGRATIONS_DIR, upgrade_to_head

_MAKING = threading.Lock()


def seed_new_sqlite_store(url: URL) -> None:
    """When ``url`` names a SQLite file that does not exist yet, make it a copy of the migrated
    template (its folder created private, as the store's engine would); leave anything else alone."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    assert url.database is not None
    database = Path(url.database)
    if database.exists():
        return
    with contextlib.suppress(OSError, sqlite3.Error, SQLAlchemyError):
        private_folder(database.parent)
        _copy_new(template_file(), database)


def template_file() -> Path:
    """The migrated empty database for this package's revisions (made when missing)."""
    template = cache_dir() / "store" / f"{_key()}.db"
    if not template.exists():
        # One thread of a process makes it: Alembic's context is a global of its module.
        with _MAKING:
            if not template.exists():
                template.parent.mkdir(parents=True, exist_ok=True)
                _make(template)
    return template


def _key() -> str:
    digest = hashlib.sha256(sqlite3.sqlite_version.encode())
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def _make(template: Path) -> None:
    # Migrated in a scratch file, then written out whole (VACUUM INTO: no WAL left aside) under
    # a name of this process and thread, and renamed: a template that exists is complete.
    scratch = template.with_name(f".{template.stem}.{_maker()}.migrating")
    written = template.with_name(f".{template.stem}.{_maker()}.db")
    try:
        engine = create_store_engine(URL.create("sqlite", database=str(scratch)))
        try:
            upgrade_to_head(engine)
        finally:
            engine.dispose()
        with contextlib.closing(sqlite3.connect(scratch)) as raw:
            raw.execute("VACUUM INTO ?", (str(written),))
        os.replace(written, template)
    finally:
        for leftover in (scratch, *(scratch.with_name(scratch.name + s) for s in ("-wal", "-shm")), written):
            leftover.unlink(missing_ok=True)


def _maker() -> str:
    # Names of this process and thread: two making the same file at once never share a scratch file.
    return f"{os.getpid()}-{threading.get_ident()}"


def _copy_new(template: Path, database: Path) -> None:
    # Linked into place: the file appears complete, and only if no other process made it first
    # (two servers opening one new store at once both use the first one's file).
    staging = database.with_name(f".{database.name}.{_maker()}.new")
    try:
        shutil.copyfile(template, staging)
        os.chmod(staging, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(staging, database)
    finally:
        staging.unlink(missing_ok=True)
