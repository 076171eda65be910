"""Store records and history events as the Step Functions API shapes them (timestamps in epoch seconds)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fleetops.engine import HistoryEvent
from fleetops.store.executions import ExecutionRecord
from fleetops.store.state_machines import ActivityRecord, StateMachineRecord


def epoch(moment: datetime) -> float:
    """A timestamp as the JSON protocol sends it."""
    return moment.timestamp()


def state_machine(record: StateMachineRecord) -> dict[str, Any]:
    """DescribeStateMachine's answer."""
    return {
        "stateMachineArn": record.arn,
        "name": record.name,
        "status": "ACTIVE",
        "definition": record.definition,
        "roleArn": record.role_arn,
        "type": record.type,
        "creationDate": epoch(record.created_at),
        "revisionId": str(record.revision),
    }


def state_machine_item(record: StateMachineRecord) -> dict[str, Any]:
    """One entry of ListStateMachines."""
    return {
        "stateMachineArn": record.arn,
        "name": record.name,
        "type": record.type,
        "creationDate": epoch(record.created_at),
    }


def execution_item(record: ExecutionRecord) -> dict[str, Any]:
    """One entry of ListExecutions."""
    item: dict[str, Any] = {
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "status": record.status,
        "startDate": epoch(record.start_date),
    }
    if record.stop_date is not None:
        item["stopDate"] = epoch(record.stop_date)
    return item


def execution(record: ExecutionRecord) -> dict[str, Any]:
    """DescribeExecution's answer."""
    described = execution_item(record)
    described["input"] = record.input
    described["inputDetails"] = {"included": True}
    if record.output is not None:
        described["output"] = record.output
        described["outputDetails"] = {"included": True}
    for key in ("error", "cause"):
        value = getattr(record, key)
        if value is not None:
            described[key] = value
    return described


def activity(record: ActivityRecord) -> dict[str, Any]:
    """One entry of ListActivities."""
    return {"activityArn": record.arn, "name": record.name, "creationDate": epoch(record.created_at)}


_DATA_FIELDS = ("input", "output", "parameters")


def event(item: HistoryEvent, *, include_data: bool = True) -> dict[str, Any]:
    """One GetExecutionHistory event (without input/output when ``include_data`` is false)."""
    shaped = item.to_aws()
    shaped["timestamp"] = epoch(item.timestamp)
    if not include_data:
        for key, value in shaped.items():
            if key.endswith("EventDetails") and isinstance(value, dict):
                for name in _DATA_FIELDS:
                    value.pop(name, None)
                    value.pop(f"{name}Details", None)
    return shaped
