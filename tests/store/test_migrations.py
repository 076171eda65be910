"""Migrations: a fresh database reaches head, matches ``tables.py``, and concurrent opens are safe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from fleetops.store import Store
from fleetops.store.migrations import alembic_config, current_revisions, head_revisions, upgrade_to_head
from fleetops.store.tables import metadata
from fleetops.testing.waiting import wait_until


def test_fresh_database_reaches_head(store_url: str, tmp_path: Path) -> None:
    with Store.open(store_url, tmp_path) as store:
        assert current_revisions(store.engine) == head_revisions()
        assert head_revisions() == {"0024_sfn_versions", "0059_held_task_tokens"}


def test_heads_read_without_alembic_are_alembics() -> None:
    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_current_revisions_are_alembics(store: Store) -> None:
    with store.engine.connect() as conn:
        alembics = frozenset(MigrationContext.configure(conn).get_current_heads())
    assert current_revisions(store.engine) == alembics


def test_migrated_schema_matches_tables_module(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_upgrade_of_a_current_database_changes_nothing(store: Store) -> None:
    store.audit.record(actor="alice", action="tokens.create")
    upgrade_to_head(store.engine)
    assert current_revisions(store.engine) == head_revisions()
    assert store.audit.count() == 1


def test_alembic_version_is_the_only_table_besides_ours(store: Store) -> None:
    tables = set(sa.inspect(store.engine).get_table_names())
    assert tables == {*metadata.tables, "alembic_version"}


_OPEN_WHEN_TOLD = """
import sys, time
from pathlib import Path
from fleetops.store import Store
go = Path(sys.argv[2])
(Path(sys.argv[3]) / f"ready-{sys.argv[4]}").touch()
while not go.exists():
    time.sleep(0.001)
with Store.open(sys.argv[1], Path(sys.argv[3])) as store:
    store.audit.record(actor=sys.argv[4], action="store.open")
"""


def test_concurrent_opens_of_a_fresh_database_both_succeed(store_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_WHEN_TOLD, store_url, str(go), str(tmp_path), f"p{n}"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    # Every interpreter has started and waits on the same signal.
    wait_until(lambda: len(list(tmp_path.glob("ready-*"))) == len(openers), what="every opener ready")
    go.touch()
    errors = [opener.communicate(timeout=60)[1] for opener in openers]
    assert [opener.returncode for opener in openers] == [0, 0, 0], errors
    with Store.open(store_url, tmp_path) as store:
        assert current_revisions(store.engine) == head_revisions()
        assert sorted(entry.actor for entry in store.audit.list()) == ["p0", "p1", "p2"]
