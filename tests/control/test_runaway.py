"""A runaway state machine against a real server: the server keeps answering, StopExecution
ends it, AWS's history limit ends it otherwise, a restart after SIGKILL does not hang on it, and
an execution that takes its server down at every resume is quarantined."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetops.control.leases import MAX_RESUMES, QUARANTINED
from fleetops.testing.server import RunningServer, cli_env, running_server
from fleetops.testing.sfn import ROLE_ARN, sfn_client
from fleetops.testing.waiting import wait_until

# The loop of the report: Pass -> Choice -> Pass ... with no way out.
RUNAWAY: dict[str, Any] = {
    "StartAt": "Spin",
    "States": {
        "Spin": {"Type": "Pass", "Next": "Again"},
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.never", "IsPresent": True, "Next": "Done"}],
            "Default": "Spin",
        },
        "Done": {"Type": "Succeed"},
    },
}
# The same loop with a costly expression in its Pass (about a millisecond a transition): it
# runs long enough before the history limit ends it for a test to act on it while it runs.
SLOW_RUNAWAY: dict[str, Any] = {
    "QueryLanguage": "JSONata",
    "StartAt": "Spin",
    "States": {
        "Spin": {"Type": "Pass", "Output": "{% $count([1..50000]) %}", "Next": "Again"},
        "Again": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $states.input < 0 %}", "Next": "Done"}],
            "Default": "Spin",
        },
        "Done": {"Type": "Succeed"},
    },
}
CRASH_HANDLER = """
import asyncio
import os

def register(registry):
    @registry.register("fleetops:crash")
    async def crash(value):
        await asyncio.sleep(1)  # StartExecution has answered by then
        os._exit(70)  # as a segfault or the OOM killer would: no clean-up, no event written
"""


def start_loop(sfn: Any, definition: dict[str, Any], name: str = "loop") -> str:
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)
    return str(sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="spin")["executionArn"])


def events_of(sfn: Any, arn: str) -> int:
    newest = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"]
    return int(newest[0]["id"]) if newest else 0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for the tests that leave it running (each its own state machine): a start
    costs seconds of CPU. The tests that kill theirs start their own."""
    with running_server(tmp_path_factory.mktemp("runaway")) as running:
        yield running


def test_health_answers_while_a_runaway_loop_runs_and_stop_execution_ends_it(server: RunningServer) -> None:
    sfn = sfn_client(server.url, server.admin_token)
    arn = start_loop(sfn, SLOW_RUNAWAY, name="slow-loop")
    wait_until(lambda: events_of(sfn, arn) > 200, what="the loop under way")
    began = time.monotonic()
    health = httpx.get(f"{server.url}/api/v1/health", timeout=60)
    took = time.monotonic() - began
    print(f"/health answered in {took * 1000:.0f} ms while the loop ran")
    assert health.status_code == 200
    # It answered while the loop was still running, not after the loop ended.
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.stop_execution(executionArn=arn, error="Runaway", cause="stopped by the test")
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == (
        "ABORTED",
        "Runaway",
        "stopped by the test",
    )
    last = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"][0]
    assert last["type"] == "ExecutionAborted"


def test_a_runaway_loop_fails_at_25000_history_events_as_on_aws(server: RunningServer) -> None:
    sfn = sfn_client(server.url, server.admin_token)
    arn = start_loop(sfn, RUNAWAY, name="loop")
    described = wait_until(
        lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
        timeout=300,
        interval=0.5,  # each look competes with the loop for the server: it runs tens of seconds
        what="the loop to end",
    )
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "States.Runtime",
        "The execution reached the maximum number of history events (25000).",
    )
    last, before = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=2)["events"]
    assert (last["id"], last["previousEventId"], last["type"]) == (25000, 24999, "ExecutionFailed")
    assert last["executionFailedEventDetails"] == {
        "error": "States.Runtime",
        "cause": "The execution reached the maximum number of history events (25000).",
    }
    assert (before["id"], before["type"]) == (24999, "PassStateExited")


def test_a_server_restarted_after_sigkill_with_a_runaway_loop_serves_and_stops_it(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        sfn = sfn_client(server.url, server.admin_token)
        arn = start_loop(sfn, SLOW_RUNAWAY)
        wait_until(lambda: events_of(sfn, arn) > 200, what="the loop under way")
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
    with running_server(tmp_path) as server:
        sfn = sfn_client(server.url, server.admin_token)
        assert httpx.get(f"{server.url}/api/v1/health", timeout=60).status_code == 200
        resumed_from = events_of(sfn, arn)
        wait_until(lambda: events_of(sfn, arn) > resumed_from + 50, what="the resumed loop under way")
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        sfn.stop_execution(executionArn=arn)
        assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"


def test_an_execution_that_crashes_its_server_at_every_resume_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "crashing.py").write_text(CRASH_HANDLER)
    env = {"FLEETOPS_HANDLERS": "crashing:register", "PYTHONPATH": str(tmp_path)}
    crashing = {
        "StartAt": "Crash",
        "States": {"Crash": {"Type": "Task", "Resource": "fleetops:crash", "End": True}},
    }
    with running_server(tmp_path, env=env) as server:
        sfn = sfn_client(server.url, server.admin_token)
        machine = sfn.create_state_machine(name="crashing", definition=json.dumps(crashing), roleArn=ROLE_ARN)
        arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="crash")["executionArn"]
        assert server.process.wait(timeout=60) == 70
    # Each restart resumes it, calls the handler again (at least once) and dies with it.
    for _ in range(MAX_RESUMES):
        restarted = subprocess.Popen(
            [sys.executable, "-m", "fleetops", "server", "--port", "0"],
            cwd=tmp_path,
            env=cli_env(env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert restarted.wait(timeout=60) == 70
    with running_server(tmp_path, env=env) as server:
        sfn = sfn_client(server.url, server.admin_token)
        assert httpx.get(f"{server.url}/api/v1/health", timeout=60).status_code == 200
        described = sfn.describe_execution(executionArn=arn)
        assert (described["status"], described["error"]) == ("FAILED", QUARANTINED)
        assert described["cause"].startswith(f"resumed {MAX_RESUMES} times after a restart or a lease loss")
        last = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"][0]
        assert last["type"] == "ExecutionFailed"
        assert server.process.poll() is None
