"""Alembic migrations shipped inside the package, run programmatically when a store opens.

Adding a table (later issues): declare it in ``fleetops/store/tables.py``, then add a file in
``versions/`` with a unique, descriptive ``revision`` id (``"0003_executions"``) whose
``down_revision`` is the head you started from. Two branches that each add a revision on the
same parent are fine: the store upgrades to every head (``heads``), so work merged in parallel
needs no renumbering. Use ``op.batch_alter_table`` to alter existing tables (SQLite cannot
ALTER most things in place).
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from fleetops.store.database import WRITE_OPTION

MIGRATIONS_DIR = Path(__file__).parent

# Key of the PostgreSQL advisory lock held while migrating: any constant shared by every
# fleetops process will do (it fits a signed 64-bit integer: the first byte is below 0x80).
MIGRATION_LOCK_KEY = int.from_bytes(b"fleetops", "big")


def alembic_config() -> Config:
    """An Alembic configuration for the migrations in this package (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revisions() -> frozenset[str]:
    """The revisions a fully migrated database is at (usually one)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@functools.cache
def _heads_of_this_process() -> frozenset[str]:
    # Alembic compiles every revision file to find the heads (~15 ms of CPU): once per process,
    # whose package does not change under it, rather than on every store opened.
    return head_revisions()


def current_revisions(engine: Engine) -> frozenset[str]:
    """The revisions ``engine``'s database is at; empty for a database never migrated."""
    with engine.connect() as conn:
        return frozenset(MigrationContext.configure(conn).get_current_heads())


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database to the newest schema; a no-op when it is already there.

    Safe when several processes open the same database at once: the whole upgrade runs in one
    transaction that first takes an exclusive lock (``BEGIN IMMEDIATE`` on SQLite, an advisory
    transaction lock on PostgreSQL), so the others wait, then find the schema current.
    """
    config = alembic_config()
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        if frozenset(MigrationContext.configure(conn).get_current_heads()) == _heads_of_this_process():
            return
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
