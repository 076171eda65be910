"""Maintenance windows, blocks, and check_deployable: the deploy runbook's initialize gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.errors import BadInput, Refused
from fleetops.ops.maintenance import (
    block_services,
    check_deployable,
    end_maintenance,
    maintenance_status,
    start_maintenance,
    unblock_services,
)
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_nothing_in_the_way_is_deployable(sqlite_store: Store, clock: FakeClock) -> None:
    check_deployable(sqlite_store, "prod", ["orders"], clock=clock)


def test_maintenance_refuses_naming_who_why_and_until(sqlite_store: Store, clock: FakeClock) -> None:
    start_maintenance(
        sqlite_store,
        environment="prod",
        duration=timedelta(hours=2),
        reason="db upgrade",
        by="alice",
        clock=clock,
    )
    with pytest.raises(Refused) as refused:
        check_deployable(sqlite_store, "prod", ["orders"], clock=clock)
    assert refused.value.message == (
        "deployment to 'prod' refused: maintenance of environment 'prod' by alice until "
        "2026-11-22T11:00:00Z (reason: db upgrade; end it early with: fleetops maintenance off --env prod)"
    )
    check_deployable(sqlite_store, "dev", ["orders"], clock=clock)


def test_maintenance_expires_by_itself(sqlite_store: Store, clock: FakeClock) -> None:
    start_maintenance(
        sqlite_store, environment=None, duration=timedelta(hours=2), reason="r", by="a", clock=clock
    )
    clock.step(timedelta(hours=2))
    check_deployable(sqlite_store, "prod", ["orders"], clock=clock)
    assert maintenance_status(sqlite_store, now=clock.now()) == []


def test_global_maintenance_covers_every_environment(sqlite_store: Store, clock: FakeClock) -> None:
    start_maintenance(
        sqlite_store, environment=None, duration=timedelta(hours=1), reason="incident", by="bob", clock=clock
    )
    with pytest.raises(
        Refused, match=r"^deployment to 'dev' refused: maintenance of every environment by bob"
    ):
        check_deployable(sqlite_store, "dev", [], clock=clock)
    assert [w.environment for w in maintenance_status(sqlite_store, environment="dev", now=clock.now())] == [
        None
    ]


def test_maintenance_off_ends_it_early(sqlite_store: Store, clock: FakeClock) -> None:
    start_maintenance(sqlite_store, environment="prod", reason="r", by="a", clock=clock)
    clock.step(timedelta(minutes=5))
    ended = end_maintenance(sqlite_store, environment="prod", by="b", clock=clock)
    assert ended is not None
    assert (ended.ended_at, ended.ended_by) == (T0 + timedelta(minutes=5), "b")
    check_deployable(sqlite_store, "prod", ["orders"], clock=clock)
    assert end_maintenance(sqlite_store, environment="prod", by="b", clock=clock) is None


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(days=8)])
def test_maintenance_must_be_time_boxed(sqlite_store: Store, clock: FakeClock, duration: timedelta) -> None:
    with pytest.raises(BadInput, match=r"^--for must be between 1s and 7d \(maintenance ends by itself\)"):
        start_maintenance(
            sqlite_store, environment="prod", duration=duration, reason="r", by="a", clock=clock
        )


def test_blocked_services_are_refused_each_named(sqlite_store: Store, clock: FakeClock) -> None:
    block_services(
        sqlite_store, ["orders"], environment="prod", reason="incident 42", by="alice", clock=clock
    )
    block_services(sqlite_store, ["auth"], environment=None, reason="key leak", by="bob", clock=clock)
    check_deployable(sqlite_store, "prod", ["menu"], clock=clock)
    with pytest.raises(Refused) as refused:
        check_deployable(sqlite_store, "prod", ["auth", "menu", "orders"], clock=clock)
    assert refused.value.message == (
        "deployment to 'prod' refused: "
        "service 'auth' is blocked everywhere by bob since 2026-11-22T09:00:00Z (reason: key leak); "
        "service 'orders' is blocked in 'prod' by alice since 2026-11-22T09:00:00Z (reason: incident 42)"
    )
    unblock_services(sqlite_store, ["orders"], environment="prod")
    unblock_services(sqlite_store, ["auth"], environment=None)
    check_deployable(sqlite_store, "prod", ["auth", "menu", "orders"], clock=clock)


def test_bad_service_names_are_bad_input(sqlite_store: Store, clock: FakeClock) -> None:
    with pytest.raises(BadInput, match=r"^service name 'Orders!' is not valid: expected lower-case letters"):
        block_services(sqlite_store, ["Orders!"], environment="prod", reason="r", by="a", clock=clock)
