"""Export, import and cleanup of finished executions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fleetops.errors import BadInput
from fleetops.store import Store
from fleetops.store.execution_archive import cleanup_executions, export_executions, import_executions

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:fleetops-deploy"


def _execution(name: str, minute: int, status: str = "SUCCEEDED") -> dict[str, Any]:
    at = f"2026-11-22T09:{minute:02d}:00+00:00"
    return {
        "arn": f"arn:aws:states:us-east-1:123456789012:execution:fleetops-deploy:{name}",
        "state_machine_arn": MACHINE,
        "name": name,
        "status": status,
        "definition": "{}",
        "input": '{"environment": "dev"}',
        "output": "{}",
        "start_date": at,
        "stop_date": at,
        "events": [
            {
                "id": 1,
                "previous_event_id": 0,
                "type": "ExecutionStarted",
                "timestamp": at,
                "details": {"input": "{}"},
                "scope": "",
                "meta": {},
            },
            {
                "id": 2,
                "previous_event_id": 1,
                "type": "ExecutionSucceeded",
                "timestamp": at,
                "details": {"output": "{}"},
                "scope": "",
                "meta": {},
            },
        ],
    }


def _document(*executions: dict[str, Any]) -> dict[str, Any]:
    return {"format": "fleetops.executions/1", "executions": list(executions)}


def test_import_then_export_gives_the_same_executions(store: Store) -> None:
    document = _document(_execution("a", 1), _execution("b", 2))
    assert import_executions(store, document) == {"imported": 2, "skipped": 0}
    assert import_executions(store, document) == {"imported": 0, "skipped": 2}
    exported = export_executions(store, since=datetime(2026, 11, 22, 9, 2, tzinfo=UTC))
    assert [e["name"] for e in exported["executions"]] == ["b"]
    [b] = exported["executions"]
    assert [e["type"] for e in b["events"]] == ["ExecutionStarted", "ExecutionSucceeded"]
    assert b["start_date"] == "2026-11-22T09:02:00+00:00"
    assert [e.type for e in store.executions.events(b["arn"])] == ["ExecutionStarted", "ExecutionSucceeded"]


def test_cleanup_keeps_the_newest(store: Store) -> None:
    import_executions(store, _document(*(_execution(f"e{i}", i) for i in range(5))))
    deleted = cleanup_executions(store, keep=2)
    assert [arn.rsplit(":", 1)[1] for arn in deleted] == ["e2", "e1", "e0"]
    assert [r.name for r in store.executions.list(MACHINE, limit=10)] == ["e4", "e3"]
    assert store.executions.events(deleted[0]) == []


def test_running_executions_are_refused(store: Store) -> None:
    with pytest.raises(BadInput, match="is RUNNING; only finished executions import"):
        import_executions(store, _document(_execution("r", 1, status="RUNNING")))


def test_a_document_of_another_kind_is_refused(store: Store) -> None:
    with pytest.raises(BadInput, match="not an execution export"):
        import_executions(store, {"executions": []})
