"""Maintenance windows and service blocks in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.store import Store
from fleetops.store.maintenance import ALL, Block, MaintenanceWindow

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _start(store: Store, scope: str = "prod", at: datetime = T0, hours: int = 2) -> MaintenanceWindow:
    return store.maintenance.start(
        scope=scope, reason="db upgrade", started_by="alice", starts_at=at, ends_at=at + hours * H
    )


def test_a_window_is_open_until_it_ends_by_itself(store: Store) -> None:
    window = _start(store)
    assert window == MaintenanceWindow(window.id, "prod", "db upgrade", "alice", T0, T0 + 2 * H, None, None)
    assert store.maintenance.open_windows(now=T0 + H) == [window]
    assert store.maintenance.open_windows(now=T0 + 2 * H) == []
    assert store.maintenance.open_windows(now=T0 - timedelta(seconds=1)) == []


def test_ending_a_window_closes_it_and_says_who(store: Store) -> None:
    _start(store)
    ended = store.maintenance.end(scope="prod", ended_by="bob", now=T0 + H)
    assert ended is not None
    assert (ended.ended_at, ended.ended_by) == (T0 + H, "bob")
    assert store.maintenance.open_windows(now=T0 + H) == []
    assert store.maintenance.end(scope="prod", ended_by="bob", now=T0 + H) is None


def test_starting_again_replaces_the_open_window(store: Store) -> None:
    first = _start(store)
    second = _start(store, at=T0 + H, hours=3)
    assert store.maintenance.open_windows(now=T0 + H) == [second]
    old = next(w for w in store.maintenance.history() if w.id == first.id)
    assert (old.ended_at, old.ended_by) == (T0 + H, "alice")


def test_open_windows_filter_by_scope(store: Store) -> None:
    everywhere = _start(store, scope=ALL)
    prod = _start(store, scope="prod")
    _start(store, scope="dev")
    assert store.maintenance.open_windows(["prod", ALL], now=T0) == [everywhere, prod]


def test_a_window_must_end_after_it_starts(store: Store) -> None:
    with pytest.raises(ValueError, match="a maintenance window must end after it starts"):
        store.maintenance.start(scope="prod", reason="r", started_by="a", starts_at=T0, ends_at=T0)


def test_block_is_idempotent_and_unblock_returns_what_it_removed(store: Store) -> None:
    first = store.maintenance.block(
        scope="prod", services=["orders", "payments"], reason="incident", blocked_by="alice", now=T0
    )
    assert first == [
        Block("prod", "orders", "incident", "alice", T0),
        Block("prod", "payments", "incident", "alice", T0),
    ]
    again = store.maintenance.block(
        scope="prod", services=["orders"], reason="other", blocked_by="bob", now=T0 + H
    )
    assert again == [Block("prod", "orders", "incident", "alice", T0)]
    removed = store.maintenance.unblock(scope="prod", services=["orders", "menu"])
    assert removed == [Block("prod", "orders", "incident", "alice", T0)]
    assert [b.service for b in store.maintenance.blocks()] == ["payments"]


def test_blocks_filter_by_scope_and_service(store: Store) -> None:
    store.maintenance.block(scope=ALL, services=["auth"], reason="r", blocked_by="a", now=T0)
    store.maintenance.block(scope="dev", services=["menu", "orders"], reason="r", blocked_by="a", now=T0)
    found = store.maintenance.blocks([ALL, "dev"], ["auth", "orders", "gateway"])
    assert [(b.scope, b.service) for b in found] == [(ALL, "auth"), ("dev", "orders")]
