"""Fresh SQLite stores for tests, copied from one migrated once per process.

Migrating a new SQLite file runs every revision: ~0.07 s of CPU (several times that in wall
time on a loaded machine), paid by every test that starts an app on a fresh state dir. A copy
of a store migrated once costs a few milliseconds. Only for tests whose subject is not the
migration: the store's own tests migrate their databases (``store_url``).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from fleetops.store import Store
from fleetops.store.database import DEFAULT_DB_FILE


@functools.cache
def _migrated() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fleetops-store-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    Store.open(None, folder).close()
    return folder / DEFAULT_DB_FILE


def put_migrated_store(state_dir: Path) -> None:
    """Put a migrated, empty SQLite store where a server on ``state_dir`` opens its own."""
    target = state_dir / DEFAULT_DB_FILE
    if target.exists():
        raise FileExistsError(f"{target} exists: a fresh store goes in a fresh state dir")
    state_dir.mkdir(parents=True, exist_ok=True)
    # The backup API copies a consistent database whatever its journal (WAL) holds.
    with closing(sqlite3.connect(_migrated())) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
