"""Step Functions calls AWS clients make beyond the basics: tags (and the emergency shutdown tag
of seed 001), ValidateStateMachineDefinition, StartSyncExecution."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fleetops.server.auth import Role
from fleetops.testing.sfn import ROLE_ARN, SfnHarness

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}}


def _machine(sfn: SfnHarness, name: str, definition: dict[str, object] = PASS) -> str:
    created = sfn.admin.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)
    return str(created["stateMachineArn"])


def test_tags_are_set_listed_and_removed(sfn: SfnHarness) -> None:
    arn = _machine(sfn, "orchestrator")
    operator = sfn.clients[Role.OPERATOR]
    operator.tag_resource(
        resourceArn=arn, tags=[{"key": "Team", "value": "ops"}, {"key": "Tier", "value": "1"}]
    )
    operator.tag_resource(resourceArn=arn, tags=[{"key": "Tier", "value": "0"}])
    assert sfn.clients[Role.VIEWER].list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "Team", "value": "ops"},
        {"key": "Tier", "value": "0"},
    ]
    operator.untag_resource(resourceArn=arn, tagKeys=["Team", "Nope"])
    assert operator.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "Tier", "value": "0"}]
    with pytest.raises(ClientError) as caught:
        sfn.clients[Role.VIEWER].tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "b"}])
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


def test_an_emergency_shutdown_tag_refuses_new_executions_until_removed(sfn: SfnHarness) -> None:
    arn = _machine(sfn, "deployment-orchestrator")
    sfn.admin.tag_resource(resourceArn=arn, tags=[{"key": "Status", "value": "EmergencyShutdown"}])
    with pytest.raises(ClientError) as caught:
        sfn.admin.start_execution(stateMachineArn=arn)
    error = caught.value.response["Error"]
    assert (error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ValidationException",
        423,
    )
    assert "tagged Status=EmergencyShutdown" in error["Message"]
    assert sfn.admin.list_executions(stateMachineArn=arn)["executions"] == []
    sfn.admin.untag_resource(resourceArn=arn, tagKeys=["Status"])
    started = sfn.admin.start_execution(stateMachineArn=arn)
    assert [e["executionArn"] for e in sfn.admin.list_executions(stateMachineArn=arn)["executions"]] == [
        started["executionArn"]
    ]


def test_validate_state_machine_definition_answers_ok_or_the_diagnostics(sfn: SfnHarness) -> None:
    viewer = sfn.clients[Role.VIEWER]
    assert viewer.validate_state_machine_definition(definition=json.dumps(PASS))["result"] == "OK"
    bad = {"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": True}}}
    answer = viewer.validate_state_machine_definition(definition=json.dumps(bad))
    assert answer["result"] == "FAIL"
    assert [d["code"] for d in answer["diagnostics"]][:1] == ["MISSING_TRANSITION_TARGET"]


def _sync_client(sfn: SfnHarness) -> Any:
    # boto3 sends StartSyncExecution to the "sync-" host prefix (sync-states.<region>...): for an
    # endpoint URL on this machine, turn the prefix off.
    return boto3.client(
        "stepfunctions",
        endpoint_url=sfn.url,
        region_name="us-east-1",
        aws_access_key_id=sfn.api.tokens[Role.OPERATOR],
        aws_secret_access_key="unused",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )


def test_start_sync_execution_answers_the_end_of_the_execution(sfn: SfnHarness) -> None:
    client = _sync_client(sfn)
    done = client.start_sync_execution(stateMachineArn=_machine(sfn, "quick"), input='{"a": 1}')
    assert (done["status"], json.loads(done["output"]), json.loads(done["input"])) == (
        "SUCCEEDED",
        {"ok": True},
        {"a": 1},
    )
    failed = client.start_sync_execution(stateMachineArn=_machine(sfn, "broken", FAIL))
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Boom", "on purpose")
