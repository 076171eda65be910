"""Executions: leases are claimed by one owner only, renewed, lost, released; events append."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from fleetops.engine import ExecutionAlreadyExists, HistoryEvent
from fleetops.store import Store
from fleetops.store.executions import ExecutionDoesNotExist, ExecutionRecord

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _record(name: str = "e", owner: str | None = "a", expires: datetime | None = NOW) -> ExecutionRecord:
    return ExecutionRecord(
        arn=f"arn:aws:states:us-east-1:123456789012:execution:m:{name}",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
        name=name,
        status="RUNNING",
        definition="{}",
        input="{}",
        output=None,
        error=None,
        cause=None,
        start_date=NOW,
        stop_date=None,
        lease_owner=owner,
        lease_expires=expires,
    )


def _event(number: int, type_: str = "PassStateEntered", **details: str) -> HistoryEvent:
    return HistoryEvent(
        id=number,
        previous_event_id=number - 1,
        timestamp=NOW + timedelta(seconds=number),
        type=type_,
        details=details,
        scope="s",
        meta={"next": "x"},
    )


def test_a_name_is_used_once(store: Store) -> None:
    store.executions.create(_record())
    with pytest.raises(ExecutionAlreadyExists, match="Execution Already Exists"):
        store.executions.create(_record())


def test_an_unknown_execution_does_not_exist(store: Store) -> None:
    with pytest.raises(ExecutionDoesNotExist, match="Execution Does Not Exist: 'arn:nope'"):
        store.executions.get("arn:nope")


def test_a_held_lease_is_not_claimed_an_expired_one_is(store: Store) -> None:
    store.executions.create(_record("held", expires=NOW + timedelta(seconds=30)))
    store.executions.create(_record("expired", expires=NOW - timedelta(seconds=1)))
    store.executions.create(_record("free", owner=None, expires=None))
    claimed = store.executions.claim_orphans("b", now=NOW, lease_seconds=30)
    assert sorted(r.name for r in claimed) == ["expired", "free"]
    assert {r.lease_owner for r in claimed} == {"b"}
    assert store.executions.claim_orphans("c", now=NOW, lease_seconds=30) == []


def test_a_restarted_owner_takes_back_its_own_leases(store: Store) -> None:
    store.executions.create(_record("mine", owner="a", expires=NOW + timedelta(seconds=30)))
    assert store.executions.claim_orphans("a", now=NOW, lease_seconds=30) == []
    claimed = store.executions.claim_orphans("a", now=NOW, lease_seconds=30, include_own=True)
    assert [r.name for r in claimed] == ["mine"]


def test_renew_extends_and_reports_what_is_held(store: Store) -> None:
    store.executions.create(_record("one"))
    store.executions.create(_record("two", owner="other"))
    held = store.executions.renew("a", now=NOW, lease_seconds=60)
    assert held == {_record("one").arn}
    assert store.executions.get(_record("one").arn).lease_expires == NOW + timedelta(seconds=60)


def test_release_frees_the_lease(store: Store) -> None:
    store.executions.create(_record())
    store.executions.release("a", [_record().arn])
    record = store.executions.get(_record().arn)
    assert (record.lease_owner, record.lease_expires) == (None, None)


def test_append_writes_events_and_a_terminal_one_ends_the_execution(store: Store) -> None:
    arn = _record().arn
    store.executions.create(_record())
    ended = _event(2, "ExecutionSucceeded", output='{"x":1}')
    assert store.executions.append([(arn, _event(1)), (arn, ended)], "a") == set()
    assert store.executions.events(arn) == [_event(1), ended]
    assert store.executions.events(arn, reverse=True, limit=1) == [ended]
    record = store.executions.get(arn)
    assert (record.status, record.output, record.stop_date, record.lease_owner) == (
        "SUCCEEDED",
        '{"x":1}',
        ended.timestamp,
        None,
    )


def test_append_for_a_lease_held_elsewhere_writes_nothing(store: Store) -> None:
    arn = _record().arn
    store.executions.create(replace(_record(), lease_owner="other"))
    assert store.executions.append([(arn, _event(1))], "a") == {arn}
    assert store.executions.events(arn) == []
