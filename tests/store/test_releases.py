"""Releases: numbered per (environment, service), idempotent per execution, immutable, status moves."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from fleetops.store import Store
from fleetops.store.releases import Release, ReleaseConflict, ReleaseStatus
from fleetops.store.stops import ExecutionStopped
from fleetops.store.tables import releases

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _pin(
    store: Store, execution: str, version: str = "v1", service: str = "orders", env: str = "dev"
) -> Release:
    return store.releases.pin(
        environment=env,
        service=service,
        version=version,
        config={"instances": {"desired": 2}},
        secret_versions={"db-password": "ver-1"},
        execution_id=execution,
        created_by="alice",
        now=T0,
    )


def test_numbers_increase_per_environment_and_service(store: Store) -> None:
    pinned = [
        _pin(store, "e1"),
        _pin(store, "e2"),
        _pin(store, "e1", service="menu"),
        _pin(store, "e3", env="prod"),
        _pin(store, "e4"),
    ]
    assert [(r.environment, r.service, r.number) for r in pinned] == [
        ("dev", "orders", 1),
        ("dev", "orders", 2),
        ("dev", "menu", 1),
        ("prod", "orders", 1),
        ("dev", "orders", 3),
    ]


def test_pin_stores_everything_it_was_given(store: Store) -> None:
    release = _pin(store, "e1", version="v7")
    assert release == Release(
        environment="dev",
        service="orders",
        number=1,
        version="v7",
        config={"instances": {"desired": 2}},
        secret_versions={"db-password": "ver-1"},
        execution_id="e1",
        status=ReleaseStatus.PINNED,
        created_at=T0,
        created_by="alice",
        verified_at=None,
        finished_at=None,
    )
    assert store.releases.get("dev", "orders", 1) == release


def test_a_retried_pin_returns_the_same_release(store: Store) -> None:
    first = _pin(store, "e1")
    assert _pin(store, "e1") == first
    assert [r.number for r in store.releases.list()] == [1]


def test_a_retried_pin_asking_for_something_else_is_a_conflict(store: Store) -> None:
    _pin(store, "e1", version="v1")
    with pytest.raises(
        ReleaseConflict,
        match=r"execution 'e1' already pinned orders#1 in 'dev' with a different version: a retried pin",
    ):
        _pin(store, "e1", version="v2")


def test_concurrent_pins_get_distinct_numbers(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        pinned = list(pool.map(lambda n: _pin(store, f"e{n}"), range(12)))
    assert sorted(r.number for r in pinned) == list(range(1, 13))


def test_concurrent_retries_of_one_pin_get_one_release(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        pinned = list(pool.map(lambda _: _pin(store, "same"), range(8)))
    assert {r.number for r in pinned} == {1}
    assert len(store.releases.list()) == 1


def test_the_database_refuses_to_change_what_a_release_pinned(store: Store) -> None:
    _pin(store, "e1", version="v1")
    with pytest.raises(DBAPIError, match="releases are immutable"), store.transaction() as session:
        session.execute(sa.update(releases).values(version="v2"))
    with pytest.raises(DBAPIError, match="releases are immutable"), store.transaction() as session:
        session.execute(sa.update(releases).values(config={"instances": {"desired": 9}}))
    assert store.releases.get("dev", "orders", 1) is not None
    assert store.releases.get("dev", "orders", 1).version == "v1"  # type: ignore[union-attr]


def test_verify_records_the_time_and_is_repeatable(store: Store) -> None:
    _pin(store, "e1")
    later = T0 + timedelta(minutes=5)
    verified = store.releases.mark_verified("dev", "orders", 1, now=later)
    assert (verified.status, verified.verified_at, verified.finished_at) == (
        ReleaseStatus.VERIFIED,
        later,
        later,
    )
    assert store.releases.mark_verified("dev", "orders", 1, now=later + timedelta(hours=1)) == verified


def test_a_failed_release_cannot_become_verified(store: Store) -> None:
    _pin(store, "e1")
    store.releases.mark_failed("dev", "orders", 1, now=T0)
    with pytest.raises(
        ReleaseConflict,
        match=r"^release orders#1 in 'dev' is failed; it cannot become verified \(allowed from: pinned\)$",
    ):
        store.releases.mark_verified("dev", "orders", 1)


def test_a_stopped_executions_release_cannot_become_verified_or_failed(store: Store) -> None:
    pinned = _pin(store, "e1")
    store.stopped.record("e1", by="ana", now=T0)
    with pytest.raises(ExecutionStopped):
        store.releases.mark_verified("dev", "orders", pinned.number, now=T0)
    with pytest.raises(ExecutionStopped):
        store.releases.mark_failed("dev", "orders", pinned.number, now=T0)
    assert store.releases.get("dev", "orders", pinned.number) == pinned
    undone = store.releases.mark_rolled_back("dev", "orders", pinned.number, now=T0)
    assert undone.status is ReleaseStatus.ROLLED_BACK


def test_marking_an_unknown_release_is_a_conflict(store: Store) -> None:
    with pytest.raises(ReleaseConflict, match=r"^no release orders#4 in environment 'dev'$"):
        store.releases.mark_failed("dev", "orders", 4)


def test_last_verified_skips_failed_rolled_back_and_pinned(store: Store) -> None:
    for n in range(1, 6):
        _pin(store, f"e{n}", version=f"v{n}")
    store.releases.mark_verified("dev", "orders", 1)
    store.releases.mark_verified("dev", "orders", 2)
    store.releases.mark_failed("dev", "orders", 3)
    store.releases.mark_verified("dev", "orders", 4)
    store.releases.mark_rolled_back("dev", "orders", 4)
    last = store.releases.last_verified("dev", "orders")
    assert last is not None
    assert (last.number, last.version) == (2, "v2")
    before = store.releases.last_verified("dev", "orders", before=2)
    assert before is not None
    assert before.number == 1
    assert store.releases.last_verified("prod", "orders") is None


def test_list_filters_and_orders_newest_first(store: Store) -> None:
    _pin(store, "e1")
    _pin(store, "e2")
    _pin(store, "e1", service="menu")
    store.releases.mark_verified("dev", "orders", 1)
    assert [r.name for r in store.releases.list()] == ["menu#1", "orders#2", "orders#1"]
    assert [r.name for r in store.releases.list(service="orders")] == ["orders#2", "orders#1"]
    assert [r.name for r in store.releases.list(status=ReleaseStatus.VERIFIED)] == ["orders#1"]
    assert [r.name for r in store.releases.list(execution_id="e1")] == ["menu#1", "orders#1"]
    assert [r.name for r in store.releases.list(limit=1)] == ["menu#1"]
