"""Alembic migrations shipped inside the package, run programmatically when a store opens.

Adding a table (later issues): declare it in ``fleetops/store/tables.py``, then add a file in
``versions/`` with a unique, descriptive ``revision`` id (``"0003_executions"``) whose
``down_revision`` is the head you started from. Two branches that each add a revision on the
same parent are fine: the store upgrades to every head (``heads``), so work merged in parallel
needs no renumbering. Use ``op.batch_alter_table`` to alter existing tables (SQLite cannot
ALTER most things in place).

Alembic itself (0.1 s of CPU to import) loads only when a database needs migrating: whether it
does is read without it, from the revision files' ``revision``/``down_revision`` lines and the
database's ``alembic_version`` table, so a server or command opening a current store skips it.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from fleetops.store.database import WRITE_OPTION

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent

# Key of the PostgreSQL advisory lock held while migrating: any constant shared by every
# fleetops process will do (it fits a signed 64-bit integer: the first byte is below 0x80).
MIGRATION_LOCK_KEY = int.from_bytes(b"fleetops", "big")


VERSION_TABLE = "alembic_version"
"""Where Alembic keeps the revisions a database is at (its default name)."""

_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+)$", re.MULTILINE)


def alembic_config() -> Config:
    """An Alembic configuration for the migrations in this package (no ``alembic.ini`` needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revisions() -> frozenset[str]:
    """The revisions a fully migrated database is at (usually one): every revision no other
    revision names as its ``down_revision`` (a string, a tuple of them for a merge, or None)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("[!_]*.py"):
        lines = {match[1]: match[2] for match in _REVISION_LINE.finditer(path.read_text())}
        revisions.add(ast.literal_eval(lines["revision"]))
        down = ast.literal_eval(lines["down_revision"])
        parents.update((down,) if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)


@functools.cache
def _heads_of_this_process() -> frozenset[str]:
    # Once per process, whose package does not change under it, rather than on every store opened.
    return head_revisions()


def _stored_revisions(conn: Connection) -> frozenset[str]:
    # What Alembic's MigrationContext.get_current_heads reads, without importing Alembic.
    if not inspect(conn).has_table(VERSION_TABLE):
        return frozenset()
    return frozenset(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def current_revisions(engine: Engine) -> frozenset[str]:
    """The revisions ``engine``'s database is at; empty for a database never migrated."""
    with engine.connect() as conn:
        return _stored_revisions(conn)


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database to the newest schema; a no-op when it is already there.

    Safe when several processes open the same database at once: the whole upgrade runs in one
    transaction that first takes an exclusive lock (``BEGIN IMMEDIATE`` on SQLite, an advisory
    transaction lock on PostgreSQL), so the others wait, then find the schema current.
    """
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        if _stored_revisions(conn) == _heads_of_this_process():
            return
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
