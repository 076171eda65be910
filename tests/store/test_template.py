"""A new SQLite store is a copy of a migrated empty database made once per set of revisions."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import URL

from fleetops.cache import CACHE_ENV
from fleetops.store import Store
from fleetops.store.database import create_store_engine
from fleetops.store.migrations import current_revisions, head_revisions, upgrade_to_head
from fleetops.store.template import template_file


def schema(path: Path) -> list[tuple[str, str, str, str | None]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()


def migrated_in_place(path: Path) -> Path:
    engine = create_store_engine(URL.create("sqlite", database=str(path)))
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_new_store_is_the_templates_copy_with_the_schema_migrations_make(
    cache: Path, tmp_path: Path
) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'new.db'}", tmp_path) as store:
        assert current_revisions(store.engine) == head_revisions()
        store.audit.record(actor="alice", action="tokens.create")
        assert store.audit.count() == 1
    assert [path.name for path in (cache / "store").iterdir()] == [template_file().name]
    assert schema(tmp_path / "new.db") == schema(migrated_in_place(tmp_path / "in-place.db"))


def test_an_existing_store_is_not_replaced(cache: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    with Store.open(url, tmp_path) as store:
        store.audit.record(actor="alice", action="tokens.create")
    with Store.open(url, tmp_path) as store:
        assert [entry.actor for entry in store.audit.list()] == ["alice"]


def test_without_a_cache_to_write_a_new_store_is_migrated_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "not-a-folder"))
    with Store.open(f"sqlite:///{tmp_path / 'new.db'}", tmp_path) as store:
        assert current_revisions(store.engine) == head_revisions()


def test_a_new_store_in_a_folder_not_made_yet_is_the_templates_copy_in_a_private_folder(
    cache: Path, tmp_path: Path
) -> None:
    with Store.open(None, tmp_path / "state" / "dev") as store:
        assert current_revisions(store.engine) == head_revisions()
    assert (tmp_path / "state" / "dev").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "state" / "dev" / "fleetops.db").stat().st_mode & 0o777 == 0o600
    assert [path.name for path in (cache / "store").iterdir()] == [template_file().name]


def test_threads_opening_new_stores_with_no_template_yet_all_get_one(cache: Path, tmp_path: Path) -> None:
    def open_one(name: str) -> frozenset[str]:
        with Store.open(f"sqlite:///{tmp_path / name}", tmp_path) as store:
            return current_revisions(store.engine)

    with ThreadPoolExecutor(4) as pool:
        revisions = list(pool.map(open_one, ["a.db", "b.db", "c.db", "d.db"]))
    assert revisions == [head_revisions()] * 4
    assert [path.name for path in (cache / "store").iterdir()] == [template_file().name]
