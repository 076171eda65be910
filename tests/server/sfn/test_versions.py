"""Versions, aliases and RedriveExecution through boto3, on one served app for the module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fleetops.engine import TaskFailure
from fleetops.server.roles import Role
from fleetops.testing.api import api_harness
from fleetops.testing.sfn import ROLE_ARN, SfnHarness, sfn_harness
from fleetops.testing.waiting import wait_until


@pytest.fixture(scope="module")
def sfn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SfnHarness]:
    with api_harness(tmp_path_factory.mktemp("state")) as api, sfn_harness(api) as harness:
        yield harness


def _pass(result: str) -> str:
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}})


def _finished(sfn: SfnHarness, arn: str) -> dict[str, Any]:
    described: dict[str, Any] = wait_until(
        lambda: (d := sfn.admin.describe_execution(executionArn=arn))["status"] != "RUNNING" and d
    )
    return described


def test_versions_are_published_once_per_revision_and_run_their_own_definition(sfn: SfnHarness) -> None:
    client = sfn.admin
    created = client.create_state_machine(
        name="versioned", definition=_pass("one"), roleArn=ROLE_ARN, publish=True, versionDescription="first"
    )
    machine = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{machine}:1"
    assert (
        client.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
        == f"{machine}:1"
    )
    revision = client.update_state_machine(stateMachineArn=machine, definition=_pass("two"))["revisionId"]
    with pytest.raises(ClientError) as caught:
        client.publish_state_machine_version(stateMachineArn=machine, revisionId="1")
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    second = client.publish_state_machine_version(
        stateMachineArn=machine, revisionId=revision, description="2nd"
    )
    assert second["stateMachineVersionArn"] == f"{machine}:2"
    listed = client.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{machine}:2", f"{machine}:1"]
    described = client.describe_state_machine(stateMachineArn=f"{machine}:1")
    assert (described["stateMachineArn"], described["description"], json.loads(described["definition"])) == (
        f"{machine}:1",
        "first",
        json.loads(_pass("one")),
    )
    run = client.start_execution(stateMachineArn=f"{machine}:1")["executionArn"]
    ended = _finished(sfn, run)
    assert (ended["output"], ended["stateMachineArn"], ended["stateMachineVersionArn"]) == (
        '"one"',
        machine,
        f"{machine}:1",
    )
    assert "stateMachineAliasArn" not in ended


def test_an_alias_routes_executions_and_moves_back(sfn: SfnHarness) -> None:
    client = sfn.admin
    machine = client.create_state_machine(
        name="aliased", definition=_pass("v1"), roleArn=ROLE_ARN, publish=True
    )["stateMachineArn"]
    client.update_state_machine(stateMachineArn=machine, definition=_pass("v2"), publish=True)
    alias = client.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{machine}:2", "weight": 100}]
    )["stateMachineAliasArn"]
    assert alias == f"{machine}:live"
    through = client.start_execution(stateMachineArn=alias)["executionArn"]
    ended = _finished(sfn, through)
    assert (ended["output"], ended["stateMachineVersionArn"], ended["stateMachineAliasArn"]) == (
        '"v2"',
        f"{machine}:2",
        alias,
    )
    client.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[{"stateMachineVersionArn": f"{machine}:1", "weight": 100}],
    )
    back = client.start_execution(stateMachineArn=alias)["executionArn"]
    assert _finished(sfn, back)["output"] == '"v1"'
    described = client.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert (described["name"], described["routingConfiguration"]) == (
        "live",
        [{"stateMachineVersionArn": f"{machine}:1", "weight": 100}],
    )
    assert [
        a["stateMachineAliasArn"]
        for a in client.list_state_machine_aliases(stateMachineArn=machine)["stateMachineAliases"]
    ] == [alias]
    listed = client.list_executions(stateMachineArn=alias)["executions"]
    assert sorted(e["executionArn"] for e in listed) == sorted([through, back])
    with pytest.raises(ClientError) as caught:
        client.delete_state_machine_version(stateMachineVersionArn=f"{machine}:1")
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    client.delete_state_machine_alias(stateMachineAliasArn=alias)
    client.delete_state_machine_version(stateMachineVersionArn=f"{machine}:1")
    assert [
        v["stateMachineVersionArn"]
        for v in client.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]
    ] == [f"{machine}:2"]


def test_routing_weights_must_add_up_to_100(sfn: SfnHarness) -> None:
    client = sfn.admin
    machine = client.create_state_machine(
        name="weights", definition=_pass("w"), roleArn=ROLE_ARN, publish=True
    )["stateMachineArn"]
    with pytest.raises(ClientError) as caught:
        client.create_state_machine_alias(
            name="half", routingConfiguration=[{"stateMachineVersionArn": f"{machine}:1", "weight": 50}]
        )
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "the weights of routingConfiguration must add up to 100",
    }
    assert client.list_state_machine_aliases(stateMachineArn=machine)["stateMachineAliases"] == []


def test_a_redriven_execution_resumes_at_the_failed_state_and_skips_what_succeeded(sfn: SfnHarness) -> None:
    calls: list[str] = []

    def first(_payload: Any) -> str:
        calls.append("first")
        return "done"

    def flaky(payload: Any) -> Any:
        calls.append(f"flaky {payload['item']}")
        if payload["item"] == 2 and calls.count("flaky 2") == 1:
            raise TaskFailure("Broken", "the first time")
        return payload["item"] * 10

    sfn.service.registry.register("fleetops:redrive-first", first)
    sfn.service.registry.register("fleetops:redrive-flaky", flaky)
    definition = {
        "StartAt": "First",
        "States": {
            "First": {
                "Type": "Task",
                "Resource": "fleetops:redrive-first",
                "ResultPath": "$.first",
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ItemSelector": {"item.$": "$$.Map.Item.Value"},
                "ItemProcessor": {
                    "StartAt": "Flaky",
                    "States": {"Flaky": {"Type": "Task", "Resource": "fleetops:redrive-flaky", "End": True}},
                },
                "End": True,
            },
        },
    }
    client = sfn.clients[Role.OPERATOR]
    machine = sfn.admin.create_state_machine(
        name="redriven", definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]
    arn = client.start_execution(stateMachineArn=machine, input='{"items": [1, 2, 3]}')["executionArn"]
    failed = _finished(sfn, arn)
    assert (failed["status"], failed["error"], failed["redriveCount"], failed["redriveStatus"]) == (
        "FAILED",
        "Broken",
        0,
        "REDRIVABLE",
    )
    assert calls == ["first", "flaky 1", "flaky 2"]
    redriven = client.redrive_execution(executionArn=arn)
    ended = _finished(sfn, arn)
    assert (ended["status"], json.loads(ended["output"]), ended["redriveCount"]) == (
        "SUCCEEDED",
        [10, 20, 30],
        1,
    )
    assert ended["redriveDate"] == redriven["redriveDate"]
    assert ended["redriveStatus"] == "NOT_REDRIVABLE"
    # First and item 1 succeeded before: not run again; item 2 runs again, then item 3.
    assert calls == ["first", "flaky 1", "flaky 2", "flaky 2", "flaky 3"]
    types = [e["type"] for e in client.get_execution_history(executionArn=arn)["events"]]
    assert types.count("ExecutionFailed") == 1
    assert types[types.index("ExecutionFailed") + 1] == "ExecutionRedriven"
    assert types[-1] == "ExecutionSucceeded"
    with pytest.raises(ClientError) as caught:
        client.redrive_execution(executionArn=arn)
    assert caught.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
