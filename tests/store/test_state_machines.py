"""State machines and activities in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.store import Store
from fleetops.store.state_machines import (
    ActivityDoesNotExist,
    ActivityRecord,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
    StateMachineRecord,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _machine(name: str) -> StateMachineRecord:
    return StateMachineRecord(
        arn=f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}",
        name=name,
        definition='{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
        type="STANDARD",
        role_arn="arn:aws:iam::123456789012:role/r",
        created_at=NOW,
        updated_at=NOW,
        revision=1,
    )


def test_create_get_list_delete(store: Store) -> None:
    for name in ("b", "a", "c"):
        store.state_machines.create(_machine(name))
    assert store.state_machines.get(_machine("a").arn) == _machine("a")
    assert [m.name for m in store.state_machines.list(limit=2, offset=1)] == ["b", "c"]
    assert store.state_machines.delete(_machine("a").arn) is True
    with pytest.raises(StateMachineDoesNotExist):
        store.state_machines.get(_machine("a").arn)


def test_a_name_is_used_once(store: Store) -> None:
    store.state_machines.create(_machine("a"))
    with pytest.raises(StateMachineAlreadyExists, match="State Machine Already Exists"):
        store.state_machines.create(_machine("a"))


def test_update_bumps_the_revision(store: Store) -> None:
    store.state_machines.create(_machine("a"))
    later = NOW + timedelta(minutes=1)
    updated = store.state_machines.update(_machine("a").arn, definition="{}", role_arn=None, at=later)
    assert (updated.definition, updated.revision, updated.updated_at, updated.role_arn) == (
        "{}",
        2,
        later,
        _machine("a").role_arn,
    )


def test_update_of_a_missing_machine_fails(store: Store) -> None:
    with pytest.raises(StateMachineDoesNotExist):
        store.state_machines.update("arn:x", definition="{}", role_arn=None, at=NOW)


def test_activities_are_created_once_and_listed(store: Store) -> None:
    record = ActivityRecord("arn:aws:states:us-east-1:123456789012:activity:act", "act", NOW)
    assert store.state_machines.create_activity(record) == record
    again = ActivityRecord(record.arn, "act", NOW + timedelta(minutes=1))
    assert store.state_machines.create_activity(again) == record
    assert store.state_machines.list_activities() == [record]
    assert store.state_machines.delete_activity(record.arn) is True
    with pytest.raises(ActivityDoesNotExist):
        store.state_machines.get_activity(record.arn)
