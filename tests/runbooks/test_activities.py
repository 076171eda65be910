"""The runbooks as exported to Step Functions: fleetops:* Task resources become Activities."""

from __future__ import annotations

import json

from fleetops.engine import parse_definition
from fleetops.runbooks import RUNBOOKS, definition
from fleetops.runbooks.activities import ActivityNames, handlers_of, rewrite

NAMES = ActivityNames("restaurant", "dev")
ARN = "arn:aws:states:us-east-1:123456789012:activity:"


def _exported(runbook: str) -> dict[str, object]:
    source = definition(runbook)
    return rewrite(source, {h: ARN + NAMES.activity(h) for h in handlers_of(source)}, heartbeat_seconds=30)


def _states(machine: dict[str, object]) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for name, state in machine["States"].items():  # type: ignore[attr-defined]
        found[name] = state
        processor = state.get("ItemProcessor")
        if processor is not None:
            found.update(_states(processor))
    return found


def test_names_are_per_fleet_and_environment() -> None:
    assert (NAMES.machine("deploy"), NAMES.activity("deploy-initialize")) == (
        "fleetops-restaurant-dev-deploy",
        "fleetops-restaurant-dev-deploy-initialize",
    )
    assert (
        NAMES.handler("fleetops-restaurant-dev-notify"),
        NAMES.handler("fleetops-restaurant-prod-notify"),
    ) == (
        "notify",
        None,
    )


def test_every_fleetops_task_calls_its_activity_and_the_definition_parses() -> None:
    for runbook in RUNBOOKS:
        exported = _exported(runbook)
        text = json.dumps(exported)
        assert '"fleetops:' not in text
        parse_definition(text)  # valid ASL, activities and all


def test_a_task_wraps_its_input_with_the_handler_context_heartbeat_and_retry() -> None:
    service = _states(_exported("deploy"))["DeployService"]
    assert service["Resource"] == ARN + "fleetops-restaurant-dev-deploy-service"
    assert service["Parameters"] == {
        "payload.$": "$",
        "context": {
            "handler": "deploy-service",
            "execution_arn.$": "$$.Execution.Id",
            "state.$": "$$.State.Name",
            "attempt.$": "$$.State.RetryCount",
            "wait_for_token": False,
            "heartbeat_seconds": 30,
        },
    }
    assert service["HeartbeatSeconds"] == 30
    assert service["Retry"] == [
        {
            "ErrorEquals": ["States.HeartbeatTimeout", "fleetops.WorkerStopped"],
            "IntervalSeconds": 1,
            "MaxAttempts": 5,
            "BackoffRate": 2.0,
        }
    ]


def test_the_approval_gate_hands_its_activity_token_on_and_asks_no_heartbeat() -> None:
    approval = _states(_exported("deploy"))["Approval"]
    assert approval["Parameters"] == {
        "payload": {"plan.$": "$.plan"},
        "context": {
            "handler": "deploy-approval",
            "execution_arn.$": "$$.Execution.Id",
            "state.$": "$$.State.Name",
            "attempt.$": "$$.State.RetryCount",
            "wait_for_token": True,
            "token_key": "token",
        },
    }
    assert "HeartbeatSeconds" not in approval


def test_the_export_check_input_ends_at_once() -> None:
    exported = _exported("rollback")
    assert exported["StartAt"] == "FleetopsExportCheck"
    check = exported["States"]["FleetopsExportCheck"]  # type: ignore[index]
    assert check["Default"] == definition("rollback")["StartAt"]
