"""Two servers on one database: an execution runs in the one holding its lease, never in both;
when that server goes away, the other takes the execution over and finishes it; a task callback
sent to the server that does not run the execution still reaches it."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from fleetops.engine import TaskContext
from fleetops.server.app import create_app
from fleetops.server.auth import read_token_file
from fleetops.server.settings import ServerSettings
from fleetops.testing.sfn import serving, sfn_client
from fleetops.testing.waiting import wait_until

DEFINITION = {
    "StartAt": "Work",
    "States": {"Work": {"Type": "Task", "Resource": "fleetops:work", "End": True}},
}


def _app(state_dir: Path, url: str, calls: Counter[str], name: str, *, hang: bool) -> FastAPI:
    app = create_app(
        ServerSettings(state_dir=state_dir, database_url=url, lease_seconds=2.0, renew_seconds=0.2)
    )

    async def work(payload: Any) -> dict[str, Any]:
        calls[name] += 1
        if hang:
            await asyncio.Event().wait()
        return {"by": name, "input": payload}

    app.state.executions.registry.register("fleetops:work", work)
    return app


def test_an_execution_runs_in_one_server_and_moves_when_it_goes(store_url: str, tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    first = _app(tmp_path / "a", store_url, calls, "a", hang=True)
    token = read_token_file(tmp_path / "a")
    assert token is not None
    second = _app(tmp_path / "b", store_url, calls, "b", hang=False)
    with serving(second) as second_url:
        with serving(first) as first_url:
            sfn = sfn_client(first_url, token)
            machine = sfn.create_state_machine(
                name="m", definition=json.dumps(DEFINITION), roleArn="arn:aws:iam::123456789012:role/r"
            )
            arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"n": 1}')[
                "executionArn"
            ]
            wait_until(lambda: calls["a"] == 1)
            time.sleep(1.0)  # five of the second server's lease rounds
            assert first.state.executions.running == {arn}
            assert second.state.executions.running == frozenset()
            assert calls == Counter({"a": 1})
        # The first server stopped (its leases given back): the second resumes the execution.
        described = wait_until(
            lambda: (
                (d := sfn_client(second_url, token).describe_execution(executionArn=arn))["status"]
                != "RUNNING"
                and d
            )
        )
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"by": "b", "input": {"n": 1}}
    assert calls == Counter({"a": 1, "b": 1})


APPROVAL = {
    "StartAt": "Approve",
    "States": {"Approve": {"Type": "Task", "Resource": "fleetops:approve.waitForTaskToken", "End": True}},
}


def test_a_task_callback_sent_to_the_other_server_reaches_the_execution(
    store_url: str, tmp_path: Path
) -> None:
    tokens: list[str] = []

    def approve(_payload: Any, context: TaskContext) -> None:
        assert context.task_token is not None
        tokens.append(context.task_token)

    first = create_app(ServerSettings(state_dir=tmp_path / "a", database_url=store_url))
    first.state.executions.registry.register("fleetops:approve", approve)
    token = read_token_file(tmp_path / "a")
    assert token is not None
    second = create_app(ServerSettings(state_dir=tmp_path / "b", database_url=store_url))
    with serving(first) as first_url, serving(second) as second_url:
        runner, other = sfn_client(first_url, token), sfn_client(second_url, token)
        machine = runner.create_state_machine(
            name="approval", definition=json.dumps(APPROVAL), roleArn="arn:aws:iam::123456789012:role/r"
        )
        arn = runner.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
        wait_until(lambda: len(tokens) == 1)
        other.send_task_heartbeat(taskToken=tokens[0])
        other.send_task_success(taskToken=tokens[0], output='{"approved": "by b"}')
        described = wait_until(
            lambda: (d := other.describe_execution(executionArn=arn))["status"] != "RUNNING" and d
        )
        with pytest.raises(other.exceptions.TaskDoesNotExist):
            other.send_task_success(taskToken="not-a-token", output="{}")
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"approved": "by b"})
    assert first.state.executions.running == frozenset()
