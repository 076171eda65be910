"""Stopped executions: once recorded, the execution's lock and pins are refused, atomically."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from fleetops.store import Store
from fleetops.store.stops import ExecutionStopped, Stop, refuse_if_stopped

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
REFUSAL = "execution 'd2' was stopped by ana at 2026-11-22T09:00:00[+]00:00: it may not take the lock"


def _acquire(store: Store, owner: str) -> bool:
    lease = timedelta(minutes=15)
    return store.locks.acquire("dev", owner=owner, reason="deploy", lease=lease, now=T0).acquired


def _pin(store: Store, execution: str) -> None:
    store.releases.pin(
        environment="dev",
        service="orders",
        version="v2",
        config={},
        secret_versions={},
        execution_id=execution,
        created_by="ana",
        now=T0,
    )


def test_the_first_stop_is_kept(store: Store) -> None:
    first = store.stopped.record("d2", by="ana", now=T0)
    again = store.stopped.record("d2", by="bo", now=T0 + timedelta(minutes=1))
    assert first == again == Stop("d2", "ana", T0) == store.stopped.get("d2")
    assert store.stopped.get("d3") is None


def test_a_stopped_execution_may_not_take_the_lock(store: Store) -> None:
    store.stopped.record("d2", by="ana", now=T0)
    with pytest.raises(ExecutionStopped, match=REFUSAL):
        _acquire(store, "d2")
    assert store.locks.get("dev") is None
    assert _acquire(store, "d3")


def test_a_stopped_execution_may_not_pin_a_release(store: Store) -> None:
    store.stopped.record("d2", by="ana", now=T0)
    with pytest.raises(ExecutionStopped, match=REFUSAL):
        _pin(store, "d2")
    assert store.releases.list(environment="dev") == []


def test_a_stop_waits_for_a_lock_or_pin_in_flight_of_its_execution(store: Store) -> None:
    # A transaction that checked the execution was not stopped (and then takes the lock or
    # pins) holds the stop back until it ends: the stop never misses what it did.
    checked, done = threading.Event(), threading.Event()

    def in_flight() -> None:
        with store.transaction() as session:
            refuse_if_stopped(store, session, "d2")
            checked.set()
            done.wait(10)

    with ThreadPoolExecutor(2) as pool:
        holder = pool.submit(in_flight)
        assert checked.wait(10)
        stop = pool.submit(store.stopped.record, "d2", by="ana", now=T0)
        with pytest.raises(TimeoutError):
            stop.result(timeout=0.5)
        done.set()
        holder.result(timeout=10)
        assert stop.result(timeout=10) == Stop("d2", "ana", T0)
