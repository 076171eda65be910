"""History events render as GetExecutionHistory events; the in-memory journal keeps ids in order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleetops.engine import HistoryEvent, InMemoryJournal

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_to_aws_uses_the_details_key_of_the_event_type() -> None:
    entered = HistoryEvent(2, 0, NOW, "PassStateEntered", {"name": "P", "input": "{}"}, scope="P#1")
    started = HistoryEvent(5, 4, NOW, "MapStateStarted", {"length": 3})
    succeeded = HistoryEvent(9, 8, NOW, "MapStateSucceeded")
    assert entered.to_aws() == {
        "id": 2,
        "previousEventId": 0,
        "timestamp": NOW,
        "type": "PassStateEntered",
        "stateEnteredEventDetails": {"name": "P", "input": "{}"},
    }
    assert started.to_aws()["mapStateStartedEventDetails"] == {"length": 3}
    assert set(succeeded.to_aws()) == {"id", "previousEventId", "timestamp", "type"}


def test_journal_refuses_ids_out_of_sequence() -> None:
    journal = InMemoryJournal()
    journal.append(HistoryEvent(1, 0, NOW, "ExecutionStarted"))
    with pytest.raises(ValueError, match="event id 3 appended where 2 was expected"):
        journal.append(HistoryEvent(3, 1, NOW, "PassStateEntered"))
