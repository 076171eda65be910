"""The Step Functions JSON protocol, driven by boto3 exactly as against AWS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fleetops.engine import TaskContext
from fleetops.server.auth import Role
from fleetops.testing.sfn import ROLE_ARN, SfnHarness, sfn_client
from fleetops.testing.waiting import wait_until

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
HOLD = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def _machine(sfn: SfnHarness, name: str, definition: dict[str, Any]) -> str:
    answer = sfn.admin.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)
    return str(answer["stateMachineArn"])


def _finished(sfn: SfnHarness, arn: str) -> dict[str, Any]:
    described: dict[str, Any] = wait_until(
        lambda: (d := sfn.admin.describe_execution(executionArn=arn))["status"] != "RUNNING" and d
    )
    return described


def test_state_machines_are_created_described_listed_updated_and_deleted(sfn: SfnHarness) -> None:
    arn = _machine(sfn, "first", PASS)
    _machine(sfn, "second", PASS)
    described = sfn.clients[Role.VIEWER].describe_state_machine(stateMachineArn=arn)
    assert (
        described["name"],
        described["status"],
        json.loads(described["definition"]),
        described["roleArn"],
    ) == (
        "first",
        "ACTIVE",
        PASS,
        ROLE_ARN,
    )
    page = sfn.admin.list_state_machines(maxResults=1)
    rest = sfn.admin.list_state_machines(maxResults=1, nextToken=page["nextToken"])
    assert [m["name"] for m in page["stateMachines"] + rest["stateMachines"]] == ["first", "second"]
    assert (
        sfn.admin.update_state_machine(stateMachineArn=arn, definition=json.dumps(HOLD))["revisionId"] == "2"
    )
    assert json.loads(sfn.admin.describe_state_machine(stateMachineArn=arn)["definition"]) == HOLD
    sfn.admin.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.admin.exceptions.StateMachineDoesNotExist):
        sfn.admin.describe_state_machine(stateMachineArn=arn)


def test_creating_the_same_machine_twice_is_idempotent_a_different_one_is_refused(sfn: SfnHarness) -> None:
    assert _machine(sfn, "m", PASS) == _machine(sfn, "m", PASS)
    with pytest.raises(sfn.admin.exceptions.StateMachineAlreadyExists):
        _machine(sfn, "m", HOLD)


def test_an_invalid_definition_is_refused_with_aws_words(sfn: SfnHarness) -> None:
    with pytest.raises(sfn.admin.exceptions.InvalidDefinition) as caught:
        _machine(sfn, "m", {"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": True}}})
    assert "MISSING_TRANSITION_TARGET" in caught.value.response["Error"]["Message"]


def test_an_invalid_name_is_refused(sfn: SfnHarness) -> None:
    with pytest.raises(sfn.admin.exceptions.InvalidName):
        _machine(sfn, "has space", PASS)


def test_an_execution_runs_and_is_described_and_listed(sfn: SfnHarness) -> None:
    machine = _machine(sfn, "m", PASS)
    operator = sfn.clients[Role.OPERATOR]
    arn = operator.start_execution(stateMachineArn=machine, name="run-1", input='{"a": 1}')["executionArn"]
    assert arn == "arn:aws:states:us-east-1:123456789012:execution:m:run-1"
    described = _finished(sfn, arn)
    assert (described["status"], described["input"], json.loads(described["output"])) == (
        "SUCCEEDED",
        '{"a":1}',
        {"ok": True},
    )
    listed = sfn.clients[Role.VIEWER].list_executions(stateMachineArn=machine, statusFilter="SUCCEEDED")
    assert [e["name"] for e in listed["executions"]] == ["run-1"]
    assert sfn.admin.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"] == []


def test_a_running_execution_name_is_taken_unless_the_input_is_the_same(sfn: SfnHarness) -> None:
    machine = _machine(sfn, "m", HOLD)
    first = sfn.admin.start_execution(stateMachineArn=machine, name="x", input="{}")["executionArn"]
    assert sfn.admin.start_execution(stateMachineArn=machine, name="x", input="{}")["executionArn"] == first
    with pytest.raises(sfn.admin.exceptions.ExecutionAlreadyExists):
        sfn.admin.start_execution(stateMachineArn=machine, name="x", input='{"other": 1}')


def test_input_that_is_not_json_is_refused(sfn: SfnHarness) -> None:
    machine = _machine(sfn, "m", PASS)
    with pytest.raises(sfn.admin.exceptions.InvalidExecutionInput):
        sfn.admin.start_execution(stateMachineArn=machine, input="{nope")


def test_stop_execution_aborts_it(sfn: SfnHarness) -> None:
    arn = sfn.admin.start_execution(stateMachineArn=_machine(sfn, "m", HOLD))["executionArn"]
    wait_until(
        lambda: sfn.admin.get_execution_history(executionArn=arn)["events"][-1]["type"] == "WaitStateEntered"
    )
    sfn.admin.stop_execution(executionArn=arn, error="Ops", cause="by hand")
    described = sfn.admin.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Ops", "by hand")
    assert sfn.admin.get_execution_history(executionArn=arn, reverseOrder=True)["events"][0]["type"] == (
        "ExecutionAborted"
    )


def test_history_in_reverse_order_and_pages(sfn: SfnHarness) -> None:
    arn = sfn.admin.start_execution(stateMachineArn=_machine(sfn, "m", PASS))["executionArn"]
    _finished(sfn, arn)
    types = ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    first = sfn.admin.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=3)
    second = sfn.admin.get_execution_history(
        executionArn=arn, reverseOrder=True, nextToken=first["nextToken"]
    )
    events = first["events"] + second["events"]
    assert [e["type"] for e in events] == types[::-1]
    assert [e["id"] for e in events] == [4, 3, 2, 1]
    assert events[-1]["executionStartedEventDetails"]["input"] == "{}"
    assert "nextToken" not in second


def test_history_without_execution_data(sfn: SfnHarness) -> None:
    arn = sfn.admin.start_execution(stateMachineArn=_machine(sfn, "m", PASS))["executionArn"]
    _finished(sfn, arn)
    events = sfn.admin.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert events[-1]["executionSucceededEventDetails"] == {}


def test_an_unknown_execution_does_not_exist(sfn: SfnHarness) -> None:
    with pytest.raises(sfn.admin.exceptions.ExecutionDoesNotExist):
        sfn.admin.describe_execution(executionArn="arn:aws:states:us-east-1:123456789012:execution:m:nope")


def test_a_bad_page_token_is_refused(sfn: SfnHarness) -> None:
    with pytest.raises(sfn.admin.exceptions.InvalidToken):
        sfn.admin.list_state_machines(nextToken="garbage")


def test_task_tokens_complete_callback_tasks(sfn: SfnHarness) -> None:
    tokens: list[str] = []

    def submit(_payload: Any, context: TaskContext) -> None:
        assert context.task_token is not None
        tokens.append(context.task_token)

    sfn.service.registry.register("fleetops:approve", submit)
    definition = {
        "StartAt": "Approve",
        "States": {
            "Approve": {"Type": "Task", "Resource": "fleetops:approve.waitForTaskToken", "End": True},
        },
    }
    machine = _machine(sfn, "m", definition)
    operator = sfn.clients[Role.OPERATOR]
    approved = operator.start_execution(stateMachineArn=machine)["executionArn"]
    wait_until(lambda: len(tokens) == 1)
    operator.send_task_heartbeat(taskToken=tokens[0])
    operator.send_task_success(taskToken=tokens[0], output='{"approved": true}')
    assert json.loads(_finished(sfn, approved)["output"]) == {"approved": True}
    refused = operator.start_execution(stateMachineArn=machine)["executionArn"]
    wait_until(lambda: len(tokens) == 2)
    operator.send_task_failure(taskToken=tokens[1], error="Rejected", cause="no")
    assert (_finished(sfn, refused)["status"], _finished(sfn, refused)["error"]) == ("FAILED", "Rejected")
    with pytest.raises(operator.exceptions.TaskDoesNotExist):
        operator.send_task_success(taskToken=tokens[0], output="{}")


def test_activities_serve_their_tasks_to_workers(sfn: SfnHarness) -> None:
    activity = sfn.admin.create_activity(name="build")["activityArn"]
    assert [a["name"] for a in sfn.clients[Role.VIEWER].list_activities()["activities"]] == ["build"]
    definition = {
        "StartAt": "Build",
        "States": {"Build": {"Type": "Task", "Resource": activity, "End": True}},
    }
    arn = sfn.admin.start_execution(stateMachineArn=_machine(sfn, "m", definition), input='{"v": 2}')[
        "executionArn"
    ]
    worker = sfn.clients[Role.OPERATOR]
    task = worker.get_activity_task(activityArn=activity, workerName="w1")
    assert json.loads(task["input"]) == {"v": 2}
    worker.send_task_success(taskToken=task["taskToken"], output='{"built": 2}')
    assert json.loads(_finished(sfn, arn)["output"]) == {"built": 2}
    started = [
        e
        for e in sfn.admin.get_execution_history(executionArn=arn)["events"]
        if e["type"] == "ActivityStarted"
    ]
    assert started[0]["activityStartedEventDetails"] == {"workerName": "w1"}


def test_an_unknown_token_is_an_unrecognized_client(sfn: SfnHarness) -> None:
    stranger = sfn_client(sfn.url, "fo_not-a-token")
    with pytest.raises(ClientError) as caught:
        stranger.list_state_machines()
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_a_role_below_the_action_is_denied(sfn: SfnHarness) -> None:
    with pytest.raises(ClientError) as caught:
        sfn.clients[Role.VIEWER].start_execution(stateMachineArn=_machine(sfn, "m", PASS))
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "StartExecution needs operator or above" in caught.value.response["Error"]["Message"]


def test_mutating_calls_are_audited_with_their_action_and_target_reads_are_not(sfn: SfnHarness) -> None:
    machine = _machine(sfn, "m", PASS)
    sfn.clients[Role.OPERATOR].start_execution(stateMachineArn=machine, name="e")
    sfn.admin.list_state_machines()
    entries = [
        (e.actor, e.action, e.target) for e in sfn.api.store.audit.list() if e.actor != "fleetops-server"
    ]
    assert entries == [("operator", "executions.start", machine), ("admin", "state_machines.create", "m")]


def test_secrets_inside_json_members_are_redacted_in_the_audit_log(sfn: SfnHarness) -> None:
    machine = _machine(sfn, "m", PASS)
    sfn.admin.start_execution(
        stateMachineArn=machine, name="s", input='{"db": {"password": "hunter2"}, "n": 1}'
    )
    started = next(e for e in sfn.api.store.audit.list() if e.action == "executions.start")
    assert started.arguments == {
        "stateMachineArn": machine,
        "name": "s",
        "input": {"db": {"password": "***"}, "n": 1},
    }


def test_the_machine_of_an_execution_is_the_definition_it_started_with(sfn: SfnHarness) -> None:
    machine = _machine(sfn, "m", HOLD)
    arn = sfn.admin.start_execution(stateMachineArn=machine)["executionArn"]
    sfn.admin.update_state_machine(stateMachineArn=machine, definition=json.dumps(PASS))
    described = sfn.clients[Role.VIEWER].describe_state_machine_for_execution(executionArn=arn)
    assert (described["name"], json.loads(described["definition"])) == ("m", HOLD)


def test_an_activity_is_described(sfn: SfnHarness) -> None:
    arn = sfn.admin.create_activity(name="build")["activityArn"]
    assert sfn.clients[Role.VIEWER].describe_activity(activityArn=arn)["name"] == "build"
    with pytest.raises(sfn.admin.exceptions.ActivityDoesNotExist):
        sfn.admin.describe_activity(activityArn=arn + "x")


def test_a_task_resource_without_a_handler_is_a_validation_error(sfn: SfnHarness) -> None:
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "fleetops:nowhere", "End": True}},
    }
    machine = _machine(sfn, "m", definition)
    with pytest.raises(ClientError) as caught:
        sfn.admin.start_execution(stateMachineArn=machine)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert (
        error["Message"]
        == "/States/T/Resource: no handler is registered for 'fleetops:nowhere' (registered: none)"
    )
