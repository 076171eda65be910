"""The deploy runbook's lock calls: refusal naming the holder, --lock-wait, renew, force release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.errors import BadInput, Refused
from fleetops.ops.locks import LeaseKeeper, acquire_lock, force_release_lock, release_lock, renew_lock
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.waiting import DEADLINE, wait_until

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

LEASE = timedelta(minutes=15)


def test_a_second_deployment_is_refused_naming_the_holder(sqlite_store: Store, clock: FakeClock) -> None:
    acquire_lock(sqlite_store, "prod", owner="exec-1", reason="deploy v2", lease=LEASE, clock=clock)
    clock.step(timedelta(minutes=3))
    with pytest.raises(Refused) as refused:
        acquire_lock(sqlite_store, "prod", owner="exec-2", reason="deploy v3", lease=LEASE, clock=clock)
    assert refused.value.message == (
        "environment 'prod' is locked by 'exec-1' (reason: deploy v2) since 2026-11-22T09:00:00Z; "
        "its lease expires at 2026-11-22T09:15:00Z (in 12m00s). Wait with --lock-wait, or if the "
        "holder is gone: fleetops lock release --force --env prod"
    )
    assert refused.value.exit_code == 3


def test_lock_wait_polls_until_the_holder_releases(sqlite_store: Store, clock: FakeClock) -> None:
    acquire_lock(sqlite_store, "prod", owner="exec-1", reason="deploy", lease=LEASE, clock=clock)

    def sleep(seconds: float) -> None:
        clock.blocking_sleep(seconds)
        if len(clock.slept) == 3:
            release_lock(sqlite_store, "prod", owner="exec-1")

    lock = acquire_lock(
        sqlite_store,
        "prod",
        owner="exec-2",
        reason="deploy",
        lease=LEASE,
        wait=timedelta(minutes=1),
        poll=timedelta(seconds=5),
        clock=clock,
        sleep=sleep,
    )
    assert (lock.owner, lock.acquired_at) == ("exec-2", T0 + timedelta(seconds=15))
    assert clock.slept == [5.0, 5.0, 5.0]


def test_lock_wait_gives_up_after_the_wait(sqlite_store: Store, clock: FakeClock) -> None:
    acquire_lock(sqlite_store, "prod", owner="exec-1", reason="deploy", lease=LEASE, clock=clock)
    with pytest.raises(Refused, match=r"^waited 10s; environment 'prod' is locked by 'exec-1'"):
        acquire_lock(
            sqlite_store,
            "prod",
            owner="exec-2",
            reason="deploy",
            wait=timedelta(seconds=10),
            poll=timedelta(seconds=4),
            clock=clock,
            sleep=clock.blocking_sleep,
        )
    assert clock.slept == [4.0, 4.0, 2.0]


def test_a_crashed_holders_lease_expires(sqlite_store: Store, clock: FakeClock) -> None:
    acquire_lock(sqlite_store, "prod", owner="crashed", reason="deploy", lease=LEASE, clock=clock)
    clock.step(LEASE)
    lock = acquire_lock(sqlite_store, "prod", owner="exec-2", reason="deploy", lease=LEASE, clock=clock)
    assert lock.owner == "exec-2"


def test_renew_after_losing_the_lock_is_refused(sqlite_store: Store, clock: FakeClock) -> None:
    acquire_lock(sqlite_store, "prod", owner="exec-1", reason="deploy", lease=LEASE, clock=clock)
    force_release_lock(sqlite_store, "prod")
    acquire_lock(sqlite_store, "prod", owner="exec-2", reason="deploy", lease=LEASE, clock=clock)
    with pytest.raises(Refused) as refused:
        renew_lock(sqlite_store, "prod", owner="exec-1", clock=clock)
    assert refused.value.message == (
        "'exec-1' no longer holds the lock of environment 'prod' (it is now held by 'exec-2'): "
        "it was force-released or its lease expired and was taken over"
    )


def test_force_release_without_an_environment_takes_the_only_lock(
    sqlite_store: Store, clock: FakeClock
) -> None:
    acquire_lock(sqlite_store, "prod", owner="exec-1", reason="deploy", clock=clock)
    assert force_release_lock(sqlite_store).owner == "exec-1"
    with pytest.raises(BadInput, match=r"^name the environment .* \(locked environments: none\)$"):
        force_release_lock(sqlite_store)
    acquire_lock(sqlite_store, "prod", owner="a", reason="deploy", clock=clock)
    acquire_lock(sqlite_store, "dev", owner="b", reason="deploy", clock=clock)
    with pytest.raises(BadInput, match=r"\(locked environments: dev, prod\)$"):
        force_release_lock(sqlite_store)
    with pytest.raises(BadInput, match=r"^environment 'stage' is not locked: there is nothing to release$"):
        force_release_lock(sqlite_store, "stage")


def test_lease_keeper_keeps_the_lock_while_it_runs(sqlite_store: Store, clock: FakeClock) -> None:
    lease = timedelta(minutes=1)
    acquire_lock(sqlite_store, "prod", owner="exec-1", reason="deploy", lease=lease, clock=clock)
    every = timedelta(milliseconds=20)
    with LeaseKeeper(sqlite_store, "prod", owner="exec-1", lease=lease, every=every, clock=clock) as keeper:

        def renewed() -> bool:
            lock = sqlite_store.locks.get("prod")
            return lock is not None and lock.expires_at == clock.now() + lease

        # Three leases' time, half a lease at a time, each half renewed before the next.
        for _ in range(6):
            clock.step(lease / 2)
            wait_until(renewed, what="a renewal")
        with pytest.raises(Refused, match=r"^environment 'prod' is locked by 'exec-1'"):
            acquire_lock(sqlite_store, "prod", owner="exec-2", reason="deploy", lease=lease, clock=clock)
    assert not keeper.lost.is_set()


def test_lease_keeper_reports_a_lost_lock(sqlite_store: Store) -> None:
    acquire_lock(sqlite_store, "prod", owner="exec-1", reason="deploy")
    with LeaseKeeper(sqlite_store, "prod", owner="exec-1", every=timedelta(milliseconds=50)) as keeper:
        force_release_lock(sqlite_store, "prod")
        assert keeper.lost.wait(DEADLINE)
    assert keeper.error is not None
    assert keeper.error.message.startswith(
        "'exec-1' no longer holds the lock of environment 'prod' (nobody holds it now)"
    )


def test_lease_keeper_must_renew_within_the_lease(sqlite_store: Store) -> None:
    with pytest.raises(ValueError, match=r"^renew every 0:15:00 must be positive and shorter than the lease"):
        LeaseKeeper(sqlite_store, "prod", owner="x", lease=LEASE, every=LEASE)
