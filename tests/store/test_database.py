"""Engines: which URL is used, how it is normalised, and the SQLite connection settings."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from fleetops.errors import BadInput, FleetopsError
from fleetops.store import Store, StoreKind
from fleetops.store.database import create_store_engine, resolve_url


def test_default_is_sqlite_in_the_state_dir(tmp_path: Path) -> None:
    url = resolve_url(None, tmp_path / ".fleetops")
    assert url.render_as_string() == f"sqlite:///{tmp_path}/.fleetops/fleetops.db"


def test_environment_url_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETOPS_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.db")
    assert resolve_url(None, tmp_path).database == f"{tmp_path}/elsewhere.db"


def test_explicit_url_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETOPS_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    assert resolve_url(f"sqlite:///{tmp_path}/arg.db", tmp_path).database == f"{tmp_path}/arg.db"


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://app:pw@db:5432/fleet",
        "postgres://app:pw@db:5432/fleet",
        "postgresql+psycopg2://app:pw@db/fleet",
    ],
)
def test_postgresql_urls_use_psycopg3(given: str, tmp_path: Path) -> None:
    assert resolve_url(given, tmp_path).drivername == "postgresql+psycopg"


def test_unsupported_database_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(
        BadInput, match=r"uses 'mysql': fleetops stores its state in 'sqlite' or 'postgresql' "
    ):
        resolve_url("mysql://root:hunter2@db/fleet", tmp_path)


def test_unparsable_url_is_bad_input_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLEETOPS_DATABASE_URL", "not a url://u:hunter2@x")
    with pytest.raises(BadInput) as caught:
        resolve_url(None, tmp_path)
    assert caught.value.message == (
        "$FLEETOPS_DATABASE_URL 'not a url://u:***@x' is not a database URL: expected sqlite:///PATH "
        "or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    )


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    with Store.open(None, tmp_path) as store, store.session() as session:
        assert store.kind is StoreKind.SQLITE
        assert session.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert session.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
        assert session.execute(sa.text("PRAGMA busy_timeout")).scalar_one() == 30000


def test_a_fresh_database_another_process_is_writing_is_waited_for_not_refused(tmp_path: Path) -> None:
    # SQLite fails the switch to WAL at once (no busy handler) while another connection holds the
    # write lock of a fresh file: concurrent first opens of one store failed "database is locked".
    path = tmp_path / "fleetops.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE first_writer (i INTEGER)")
    release = threading.Timer(0.3, holder.execute, ["COMMIT"])
    release.start()
    engine = create_store_engine(resolve_url(f"sqlite:///{path}", tmp_path))
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        release.join()
        engine.dispose()
        holder.close()
    assert mode == "wal"


def test_in_memory_sqlite_keeps_its_data_across_sessions(tmp_path: Path) -> None:
    with Store.open("sqlite://", tmp_path) as store:
        store.audit.record(actor="alice", action="tokens.create")
        assert store.audit.count() == 1
    assert not (tmp_path / "fleetops.db").exists()


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as session:
        session.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor, action, arguments, outcome) "
                "VALUES (CURRENT_TIMESTAMP, 'a', 'b', '{}', 'success')"
            )
        )
        raise RuntimeError("boom")
    assert store.audit.count() == 0


def test_unreachable_database_is_a_clear_failure_without_the_password(tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(FleetopsError) as caught:
        Store.open(f"postgresql://app:hunter2@127.0.0.1:{port}/fleet", tmp_path)
    assert caught.value.message.startswith(
        f"cannot open the store postgresql+psycopg://app:***@127.0.0.1:{port}/fleet: connection failed: "
    )
    assert "hunter2" not in caught.value.message


def test_unwritable_sqlite_location_is_a_clear_failure(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(
        FleetopsError, match=r"^cannot open the store sqlite:///.*/dir\.db: unable to open database file$"
    ):
        Store.open(f"sqlite:///{tmp_path}/dir.db", tmp_path)


def test_the_sqlite_files_are_the_owners_only(tmp_path: Path) -> None:
    """The database, its WAL and shared memory: 0600, in a 0700 folder, whatever the umask."""
    previous = os.umask(0)
    try:
        with Store.open(None, tmp_path / "state") as store:
            store.tokens.count()
            files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "state").iterdir()}
            folder = stat.S_IMODE((tmp_path / "state").stat().st_mode)
    finally:
        os.umask(previous)
    assert files == {"fleetops.db": 0o600, "fleetops.db-wal": 0o600, "fleetops.db-shm": 0o600}
    assert folder == 0o700


def test_an_older_store_is_tightened_when_opened(tmp_path: Path) -> None:
    Store.open(None, tmp_path).close()
    (tmp_path / "fleetops.db").chmod(0o644)
    Store.open(None, tmp_path).close()
    assert stat.S_IMODE((tmp_path / "fleetops.db").stat().st_mode) == 0o600
