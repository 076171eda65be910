"""Deployment locks: one holder per environment, leases that expire, atomic acquisition."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetops.store import Store
from fleetops.store.locks import Lock
from fleetops.store.stops import ExecutionStopped
from fleetops.testing.waiting import wait_until

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=15)


def _acquire(store: Store, owner: str, now: datetime = T0, env: str = "prod"):  # type: ignore[no-untyped-def]
    return store.locks.acquire(env, owner=owner, reason=f"deploy by {owner}", lease=LEASE, now=now)


def test_a_free_lock_is_acquired(store: Store) -> None:
    result = _acquire(store, "exec-1")
    assert result.acquired
    assert result.previous is None
    assert result.lock == Lock("prod", "exec-1", "deploy by exec-1", T0, T0 + LEASE, T0)
    assert store.locks.get("prod") == result.lock


def test_a_held_lock_is_refused_and_names_the_holder(store: Store) -> None:
    held = _acquire(store, "exec-1").lock
    result = _acquire(store, "exec-2", now=T0 + timedelta(minutes=1))
    assert (result.acquired, result.lock) == (False, held)


def test_the_holder_acquiring_again_extends_its_lease_and_keeps_its_start(store: Store) -> None:
    _acquire(store, "exec-1")
    later = T0 + timedelta(minutes=10)
    again = _acquire(store, "exec-1", now=later)
    assert again.acquired
    assert (again.lock.acquired_at, again.lock.expires_at, again.previous) == (T0, later + LEASE, None)


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    crashed = _acquire(store, "exec-1").lock
    after = T0 + LEASE
    result = _acquire(store, "exec-2", now=after)
    assert result.acquired
    assert result.previous == crashed
    assert result.lock == Lock("prod", "exec-2", "deploy by exec-2", after, after + LEASE, after)


def test_environments_are_locked_separately(store: Store) -> None:
    assert _acquire(store, "exec-1", env="prod").acquired
    assert _acquire(store, "exec-2", env="dev").acquired
    assert [lock.environment for lock in store.locks.list()] == ["dev", "prod"]


def test_renew_extends_only_the_holders_lease(store: Store) -> None:
    _acquire(store, "exec-1")
    later = T0 + timedelta(minutes=14)
    renewed = store.locks.renew("prod", owner="exec-1", lease=LEASE, now=later)
    assert renewed is not None
    assert (renewed.expires_at, renewed.renewed_at, renewed.acquired_at) == (later + LEASE, later, T0)
    assert store.locks.renew("prod", owner="exec-2", lease=LEASE, now=later) is None
    assert not _acquire(store, "exec-2", now=T0 + LEASE).acquired


def test_renew_after_a_takeover_reports_the_lock_lost(store: Store) -> None:
    _acquire(store, "exec-1")
    _acquire(store, "exec-2", now=T0 + LEASE)
    assert store.locks.renew("prod", owner="exec-1", lease=LEASE, now=T0 + LEASE) is None
    assert store.locks.get("prod").owner == "exec-2"  # type: ignore[union-attr]


def test_release_only_by_the_holder(store: Store) -> None:
    _acquire(store, "exec-1")
    assert store.locks.release("prod", owner="exec-2") is False
    assert store.locks.release("prod", owner="exec-1") is True
    assert store.locks.release("prod", owner="exec-1") is False
    assert store.locks.get("prod") is None


def test_transfer_hands_the_holders_lock_over_with_a_fresh_lease(store: Store) -> None:
    _acquire(store, "exec-1")
    at = T0 + timedelta(minutes=20)  # the lease ran out, and nobody took it over
    moved = store.locks.transfer(
        "prod", from_owner="exec-1", to_owner="rb-1", reason="undo", lease=LEASE, now=at
    )
    assert moved == Lock("prod", "rb-1", "undo", at, at + LEASE, at)
    assert store.locks.get("prod") == moved


def test_transfer_from_a_non_holder_changes_nothing(store: Store) -> None:
    held = _acquire(store, "exec-2").lock
    moved = store.locks.transfer(
        "prod", from_owner="exec-1", to_owner="rb-1", reason="undo", lease=LEASE, now=T0
    )
    assert (moved, store.locks.get("prod")) == (None, held)


def test_transfer_to_a_stopped_execution_is_refused(store: Store) -> None:
    held = _acquire(store, "exec-1").lock
    store.stopped.record("rb-1", by="ana", now=T0)
    with pytest.raises(ExecutionStopped):
        store.locks.transfer("prod", from_owner="exec-1", to_owner="rb-1", reason="undo", lease=LEASE, now=T0)
    assert store.locks.get("prod") == held


def test_a_stopped_holder_cannot_release_its_lock_only_the_stop_can(store: Store) -> None:
    # finalize still running in its thread after the stop: its release would free the
    # environment the stop keeps for its rollback, and a new deployment could slip in.
    held = _acquire(store, "exec-1").lock
    store.stopped.record("exec-1", by="ana", now=T0)
    with pytest.raises(ExecutionStopped):
        store.locks.release("prod", owner="exec-1")
    assert store.locks.get("prod") == held
    assert store.locks.release("prod", owner="exec-1", by_stop=True) is True
    assert store.locks.get("prod") is None


def test_force_release_returns_what_it_released(store: Store) -> None:
    held = _acquire(store, "exec-1").lock
    assert store.locks.force_release("prod") == held
    assert store.locks.force_release("prod") is None
    assert _acquire(store, "exec-2").acquired


def test_a_lease_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match=r"^a lease must be positive \(got 0:00:00\)$"):
        store.locks.acquire("prod", owner="x", reason="r", lease=timedelta(0))


def test_racing_threads_one_wins(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: _acquire(store, f"exec-{n}"), range(16)))
    winners = [r.lock.owner for r in results if r.acquired]
    assert len(winners) == 1
    assert {r.lock.owner for r in results} == set(winners)


def test_racing_threads_on_an_expired_lock_one_takes_it_over(store: Store) -> None:
    _acquire(store, "crashed")
    after = T0 + LEASE + timedelta(seconds=1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: _acquire(store, f"exec-{n}", now=after), range(16)))
    winners = [r for r in results if r.acquired]
    assert len(winners) == 1
    assert winners[0].previous is not None
    assert winners[0].previous.owner == "crashed"


_ACQUIRE_WHEN_TOLD = """
import json, sys, time
from datetime import timedelta
from pathlib import Path
from fleetops.store import Store
url, go, state, owner = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
with Store.open(url, state) as store:
    (state / f"ready-{owner}").touch()
    while not go.exists():
        time.sleep(0.001)
    result = store.locks.acquire("prod", owner=owner, reason="race", lease=timedelta(minutes=5))
    print(json.dumps({"acquired": result.acquired, "holder": result.lock.owner}))
"""


@pytest.mark.slow
def test_racing_processes_one_wins(store: Store, store_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _ACQUIRE_WHEN_TOLD, store_url, str(go), str(tmp_path), f"p{n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    # Every interpreter has opened the store and waits on the same signal.
    wait_until(lambda: len(list(tmp_path.glob("ready-*"))) == len(racers), what="every racer ready")
    go.touch()
    outputs = [racer.communicate(timeout=60) for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0, 0, 0], [err for _, err in outputs]
    results = [json.loads(out) for out, _ in outputs]
    winners = [r["holder"] for r in results if r["acquired"]]
    assert len(winners) == 1
    assert {r["holder"] for r in results} == set(winners)
    assert store.locks.get("prod").owner == winners[0]  # type: ignore[union-attr]
