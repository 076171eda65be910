"""The Store object: sessions, transactions, concurrent writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from fleetops.store import Store
from fleetops.store.tables import audit_log


def _read_then_write(store: Store, n: int) -> None:
    with store.transaction() as session:
        count = session.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one()
        session.execute(
            sa.insert(audit_log).values(
                at=sa.func.now(), actor=f"w{n}", action="bump", arguments={"seen": count}, outcome="success"
            )
        )


def _run_concurrently(store: Store, writers: int) -> list[int]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: _read_then_write(store, n), range(writers)))
    return sorted(entry.arguments["seen"] for entry in store.audit.list(limit=1000))


def test_concurrent_read_then_write_transactions_all_succeed(store: Store) -> None:
    assert len(_run_concurrently(store, 40)) == 40


def test_sqlite_write_transactions_are_serialised(tmp_path: Path) -> None:
    # BEGIN IMMEDIATE: each transaction sees every one committed before it. Without it, SQLite
    # fails the second of two read-then-write transactions ("database is locked").
    with Store.open(None, tmp_path) as store:
        assert _run_concurrently(store, 40) == list(range(40))


def test_two_stores_on_one_database_see_each_other(store_url: str, tmp_path: Path) -> None:
    with Store.open(store_url, tmp_path) as first, Store.open(store_url, tmp_path) as second:
        first.audit.record(actor="alice", action="a")
        assert [entry.actor for entry in second.audit.list()] == ["alice"]
