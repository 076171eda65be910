"""A real ``fleetops server`` is SIGKILLed in the middle of executions with Map, Wait and Task
states; restarted on the same state dir, it resumes each one: the outputs are exactly those of
an uninterrupted run, completed tasks are not called again, the task in flight is, the Wait
keeps its original due time, and a task token handed out before the kill still completes its
task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fleetops.testing.recording import RECORDING_DIR_ENV, calls
from fleetops.testing.server import running_server
from fleetops.testing.sfn import sfn_client
from fleetops.testing.waiting import wait_until

ROLE = "arn:aws:iam::123456789012:role/fleetops"
MAP_THEN_WAIT = {
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "MaxConcurrency": 1,
            "ItemSelector": {"item.$": "$$.Map.Item.Value"},
            "ItemProcessor": {
                "StartAt": "Record",
                "States": {"Record": {"Type": "Task", "Resource": "fleetops:record", "End": True}},
            },
            "ResultPath": "$.results",
            "Next": "Bake",
        },
        "Bake": {"Type": "Wait", "Seconds": 1, "Next": "Final"},
        "Final": {
            "Type": "Task",
            "Resource": "fleetops:record",
            "Parameters": {"item": "final"},
            "ResultPath": "$.final",
            "End": True,
        },
    },
}
WAIT_THEN_TASK = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"item": "after-wait"}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 4, "Next": "Act"},
        "Act": {"Type": "Task", "Resource": "fleetops:record", "End": True},
    },
}


APPROVAL = {
    "StartAt": "Approve",
    "States": {
        "Approve": {
            "Type": "Task",
            "Resource": "fleetops:submit.waitForTaskToken",
            "Parameters": {"item": "approve"},
            "End": True,
        }
    },
}


def _events(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return events


def test_a_killed_server_resumes_every_execution_on_restart(tmp_path: Path) -> None:
    recording = tmp_path / "recording"
    recording.mkdir()
    (recording / "hang-c").touch()
    env = {"FLEETOPS_HANDLERS": "fleetops.testing.recording:register", RECORDING_DIR_ENV: str(recording)}

    with running_server(tmp_path, env=env) as first:
        sfn = sfn_client(first.url, first.admin_token)
        mapped = sfn.create_state_machine(name="mapped", definition=json.dumps(MAP_THEN_WAIT), roleArn=ROLE)
        waiting = sfn.create_state_machine(
            name="waiting", definition=json.dumps(WAIT_THEN_TASK), roleArn=ROLE
        )
        map_run = sfn.start_execution(
            stateMachineArn=mapped["stateMachineArn"], name="map-1", input=json.dumps({"items": list("abcd")})
        )["executionArn"]
        wait_run = sfn.start_execution(stateMachineArn=waiting["stateMachineArn"], name="wait-1")[
            "executionArn"
        ]
        approval = sfn.create_state_machine(name="approval", definition=json.dumps(APPROVAL), roleArn=ROLE)
        approval_run = sfn.start_execution(stateMachineArn=approval["stateMachineArn"], name="approve-1")[
            "executionArn"
        ]
        wait_until((recording / "token-approve").exists)
        wait_until(lambda: _events(sfn, approval_run)[-1]["type"] == "TaskSubmitted")
        wait_until(lambda: [c for c in calls(recording) if c != "approve"] == ["a", "b", "c"])
        wait_until(lambda: _events(sfn, wait_run)[-1]["type"] == "WaitStateEntered")
        first.process.kill()  # SIGKILL: no clean-up, leases still held
        first.process.wait()

    (recording / "hang-c").unlink()
    with running_server(tmp_path, env=env) as second:
        sfn = sfn_client(second.url, second.admin_token)
        sfn.send_task_success(
            taskToken=(recording / "token-approve").read_text(), output='{"approved": true}'
        )
        finished = {
            arn: wait_until(
                lambda arn=arn: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d
            )
            for arn in (map_run, wait_run, approval_run)
        }
        map_events = _events(sfn, map_run)
        wait_events = _events(sfn, wait_run)

    assert finished[map_run]["status"] == "SUCCEEDED"
    assert json.loads(finished[map_run]["output"]) == {
        "items": ["a", "b", "c", "d"],
        "results": [{"done": "a"}, {"done": "b"}, {"done": "c"}, {"done": "d"}],
        "final": {"done": "final"},
    }
    assert finished[wait_run]["status"] == "SUCCEEDED"
    assert json.loads(finished[wait_run]["output"]) == {"done": "after-wait"}
    assert json.loads(finished[approval_run]["output"]) == {"approved": True}
    # a and b finished before the kill and are not called again; c was in flight and is; the
    # approval's handler had handed out its token and is not called again either.
    assert sorted(calls(recording)) == sorted(["a", "b", "c", "c", "d", "final", "after-wait", "approve"])
    for events in (map_events, wait_events):
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert [e["type"] for e in events].count("ExecutionStarted") == 1
    types = [e["type"] for e in map_events]
    assert types.count("MapIterationStarted") == 4
    assert types.count("TaskSucceeded") == 5
    entered = [e for e in wait_events if e["type"] == "WaitStateEntered"]
    exited = [e for e in wait_events if e["type"] == "WaitStateExited"]
    # The Wait was not started again after the restart (a second WaitStateEntered would say it),
    # and was not cut short: it ends its 4 s, or when the restarted server resumed it, later
    # (how much later is how long the restart took, seconds on a loaded machine).
    assert len(entered) == len(exited) == 1
    assert (exited[0]["timestamp"] - entered[0]["timestamp"]).total_seconds() >= 4.0
