"""Store records and history events as the Step Functions API shapes them (timestamps in epoch seconds)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fleetops.engine import HistoryEvent
from fleetops.store.executions import ExecutionRecord
from fleetops.store.state_machine_versions import AliasRecord, VersionRecord
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
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False},
    }


def version(record: VersionRecord, name: str) -> dict[str, Any]:
    """DescribeStateMachine's answer for a version ARN (``name`` is its machine's)."""
    return {
        "stateMachineArn": record.arn,
        "name": name,
        "status": "ACTIVE",
        "definition": record.definition,
        "roleArn": record.role_arn,
        "type": record.type,
        "creationDate": epoch(record.created_at),
        "revisionId": str(record.revision),
        "description": record.description,
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False},
    }


def alias(record: AliasRecord) -> dict[str, Any]:
    """DescribeStateMachineAlias's answer."""
    return {
        "stateMachineAliasArn": record.arn,
        "name": record.name,
        "description": record.description,
        "routingConfiguration": record.routing,
        "creationDate": epoch(record.created_at),
        "updateDate": epoch(record.updated_at),
    }


REDRIVABLE = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})


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
    item["redriveCount"] = record.redrive_count
    if record.redrive_date is not None:
        item["redriveDate"] = epoch(record.redrive_date)
    if record.state_machine_version_arn is not None:
        item["stateMachineVersionArn"] = record.state_machine_version_arn
    if record.state_machine_alias_arn is not None:
        item["stateMachineAliasArn"] = record.state_machine_alias_arn
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
    if record.status in REDRIVABLE:
        described["redriveStatus"] = "REDRIVABLE"
    else:
        described["redriveStatus"] = "NOT_REDRIVABLE"
        described["redriveStatusReason"] = (
            "Execution is RUNNING and cannot be redriven"
            if record.status == "RUNNING"
            else f"Execution is {record.status} and cannot be redriven"
        )
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
