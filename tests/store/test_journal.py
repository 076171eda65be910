"""The SQL journal: events reach the store in one transaction per loop turn."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from fleetops.engine import HistoryEvent
from fleetops.redaction import secret_redactor
from fleetops.store import Store
from fleetops.store.executions import ExecutionRecord
from fleetops.store.journal import JournalWriter

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ARN = "arn:aws:states:us-east-1:123456789012:execution:m:e"


@pytest.fixture
def leased(store: Store) -> Store:
    store.executions.create(
        ExecutionRecord(
            arn=ARN,
            state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
            name="e",
            status="RUNNING",
            definition="{}",
            input="{}",
            output=None,
            error=None,
            cause=None,
            start_date=NOW,
            stop_date=None,
            lease_owner="me",
            lease_expires=NOW + timedelta(hours=1),
        )
    )
    return store


def _event(number: int) -> HistoryEvent:
    return HistoryEvent(number, number - 1, NOW, "PassStateEntered", {"name": "P"}, "P#1", {})


def test_events_appended_in_one_loop_turn_are_one_transaction(leased: Store) -> None:
    writer = JournalWriter(leased, "me")
    journal = writer.journal(ARN)

    async def scenario() -> list[int]:
        for number in range(1, 6):
            journal.append(_event(number))
        written_before = [e.id for e in leased.executions.events(ARN)]
        await asyncio.sleep(0)
        return written_before

    assert asyncio.run(scenario()) == []
    assert [e.id for e in leased.executions.events(ARN)] == [1, 2, 3, 4, 5]
    assert (writer.transactions, writer.events_written) == (1, 5)


def test_a_loaded_journal_continues_the_stored_one(leased: Store) -> None:
    writer = JournalWriter(leased, "me")
    writer.journal(ARN).append(_event(1))  # outside a loop: written at once
    loaded = writer.load(ARN)
    loaded.append(_event(2))
    assert [e.id for e in loaded.events()] == [1, 2]
    assert [e.id for e in leased.executions.events(ARN)] == [1, 2]


def test_an_event_out_of_sequence_is_refused(leased: Store) -> None:
    with pytest.raises(ValueError, match="event id 2 appended where 1 was expected"):
        JournalWriter(leased, "me").journal(ARN).append(_event(2))


def test_a_lost_lease_is_reported(leased: Store) -> None:
    lost: list[str] = []
    JournalWriter(leased, "someone-else", on_lost=lost.append).journal(ARN).append(_event(1))
    assert lost == [ARN]
    assert leased.executions.events(ARN) == []


def test_events_are_redacted_before_they_are_kept_or_stored(leased: Store) -> None:
    writer = JournalWriter(leased, "me", redactor=secret_redactor(lambda: {"db-secret-value"}))
    journal = writer.journal(ARN)
    journal.append(
        HistoryEvent(
            1,
            0,
            NOW,
            "ExecutionFailed",
            {
                "error": "fleetops.RolloutFailed",
                "cause": "log: password=db-secret-value at postgres://u:pw@h/db",
            },
        )
    )
    details = {"error": "fleetops.RolloutFailed", "cause": "log: password=*** at postgres://u:***@h/db"}
    assert [dict(e.details) for e in journal.events()] == [details]
    assert [dict(e.details) for e in leased.executions.events(ARN)] == [details]
    assert (leased.executions.get(ARN).status, leased.executions.get(ARN).cause) == (
        "FAILED",
        details["cause"],
    )
