"""DescribeMapRun, ListMapRuns and UpdateMapRun through boto3, on one served app for the module.

The machine's DISTRIBUTED Map sends each item to an activity, so the test is the worker: it
decides when each iteration ends and how.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fleetops.testing.api import api_harness
from fleetops.testing.sfn import ROLE_ARN, SfnHarness, sfn_harness
from fleetops.testing.waiting import wait_until

ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:map-work"
MACHINE = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "Label": "Work",
            "ItemsPath": "$.items",
            "MaxConcurrency": 1,
            "ToleratedFailureCount": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Do",
                "States": {"Do": {"Type": "Task", "Resource": ACTIVITY, "End": True}},
            },
            "End": True,
        }
    },
}


@pytest.fixture(scope="module")
def sfn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SfnHarness]:
    with api_harness(tmp_path_factory.mktemp("state")) as api, sfn_harness(api) as harness:
        harness.admin.create_activity(name="map-work")
        yield harness


def _counts(sfn: SfnHarness, map_run: str) -> dict[str, int]:
    counts: dict[str, int] = sfn.admin.describe_map_run(mapRunArn=map_run)["itemCounts"]
    return counts


def _task(sfn: SfnHarness) -> str:
    return str(sfn.admin.get_activity_task(activityArn=ACTIVITY, workerName="test")["taskToken"])


def test_a_map_run_is_listed_described_and_updated_while_it_runs(sfn: SfnHarness) -> None:
    client = sfn.admin
    machine = client.create_state_machine(name="fan", definition=json.dumps(MACHINE), roleArn=ROLE_ARN)
    execution = client.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps({"items": list(range(6))})
    )["executionArn"]
    runs = wait_until(lambda: client.list_map_runs(executionArn=execution)["mapRuns"])
    assert [(r["executionArn"], r["stateMachineArn"], "stopDate" in r) for r in runs] == [
        (execution, machine["stateMachineArn"], False)
    ]
    map_run = runs[0]["mapRunArn"]
    assert map_run.startswith("arn:aws:states:us-east-1:123456789012:mapRun:fan/Work:")
    wait_until(lambda: _counts(sfn, map_run)["running"] == 1)
    described = client.describe_map_run(mapRunArn=map_run)
    assert (
        described["status"],
        described["maxConcurrency"],
        described["toleratedFailureCount"],
        described["itemCounts"],
    ) == (
        "RUNNING",
        1,
        1,
        {
            "pending": 5,
            "running": 1,
            "succeeded": 0,
            "failed": 0,
            "timedOut": 0,
            "aborted": 0,
            "total": 6,
            "resultsWritten": 0,
        },
    )

    # Three at once from now on, and two failures tolerated (one was: two would fail the Map).
    client.update_map_run(mapRunArn=map_run, maxConcurrency=3, toleratedFailureCount=2)
    wait_until(lambda: _counts(sfn, map_run)["running"] == 3)
    first = [_task(sfn) for _ in range(3)]
    for token in first[:2]:
        client.send_task_failure(taskToken=token, error="Boom", cause="on purpose")
    client.send_task_success(taskToken=first[2], output="{}")
    for _ in range(3):
        client.send_task_success(taskToken=_task(sfn), output="{}")

    ended = wait_until(
        lambda: (d := client.describe_execution(executionArn=execution))["status"] != "RUNNING" and d
    )
    assert ended["status"] == "SUCCEEDED"
    described = client.describe_map_run(mapRunArn=map_run)
    assert (described["status"], described["maxConcurrency"], described["toleratedFailureCount"]) == (
        "SUCCEEDED",
        3,
        2,
    )
    assert described["stopDate"] >= described["startDate"]
    assert (
        described["itemCounts"]
        == described["executionCounts"]
        == {
            "pending": 0,
            "running": 0,
            "succeeded": 4,
            "failed": 2,
            "timedOut": 0,
            "aborted": 0,
            "total": 6,
            "resultsWritten": 0,
        }
    )
    with pytest.raises(ClientError) as refused:
        client.update_map_run(mapRunArn=map_run, maxConcurrency=5)
    assert refused.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f"Map Run {map_run} is SUCCEEDED: only a running Map Run can be updated",
    }


@pytest.mark.parametrize(
    ("action", "members", "code"),
    [
        (
            "describe_map_run",
            {"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:fan/Work:x"},
            "ResourceNotFound",
        ),
        (
            "describe_map_run",
            {"mapRunArn": "arn:aws:states:us-east-1:123456789012:execution:fan:x"},
            "InvalidArn",
        ),
        (
            "list_map_runs",
            {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:fan:none"},
            "ExecutionDoesNotExist",
        ),
        (
            "update_map_run",
            {
                "mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:fan/Work:x",
                "toleratedFailurePercentage": 150,
            },
            "ValidationException",
        ),
    ],
)
def test_map_run_errors_are_aws_shaped(
    sfn: SfnHarness, action: str, members: dict[str, Any], code: str
) -> None:
    with pytest.raises(ClientError) as refused:
        getattr(sfn.admin, action)(**members)
    assert refused.value.response["Error"]["Code"] == code
