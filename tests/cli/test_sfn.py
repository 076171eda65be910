"""``fleetops sfn ...`` against a real server, through boto3."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from fleetops.testing.server import RunningServer, run_cli

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}}
WORK = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:states:us-east-1:123456789012:activity:cli-work",
            "End": True,
        }
    },
}


def _cli(server: RunningServer, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"FLEETOPS_TOKEN": token} if token else None
    return run_cli(["sfn", *args], cwd=server.state_dir.parent, env=env)


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_create_start_wait_and_read_the_history(server: RunningServer, tmp_path: Path) -> None:
    definition = tmp_path / "pass.asl.json"
    definition.write_text(json.dumps(PASS))
    created = _json(
        _cli(
            server,
            "create-state-machine",
            "--name",
            "cli-pass",
            "--definition",
            f"@{definition}",
            "-o",
            "json",
        )
    )
    assert created["stateMachineArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:cli-pass"
    ended = _json(
        _cli(
            server,
            "start-execution",
            "cli-pass",
            "--name",
            "one",
            "--input",
            '{"a": 1}',
            "--wait",
            "-o",
            "json",
        )
    )
    assert (ended["status"], json.loads(ended["output"])) == ("SUCCEEDED", {"ok": 1})
    history = _json(_cli(server, "get-execution-history", ended["executionArn"], "--reverse", "-o", "json"))
    assert [e["type"] for e in history] == [
        "ExecutionSucceeded",
        "PassStateExited",
        "PassStateEntered",
        "ExecutionStarted",
    ]
    listed = _json(_cli(server, "list-executions", "cli-pass", "--status", "SUCCEEDED", "-o", "json"))
    assert [e["name"] for e in listed] == ["one"]


def test_a_failed_execution_exits_1_with_its_error(server: RunningServer) -> None:
    _json(
        _cli(
            server,
            "create-state-machine",
            "--name",
            "cli-fail",
            "--definition",
            json.dumps(FAIL),
            "-o",
            "json",
        )
    )
    ended = _cli(server, "start-execution", "cli-fail", "--name", "f", "--wait")
    assert ended.returncode == 1
    assert ended.stderr.strip() == "error: execution f ended FAILED: Boom on purpose"


def test_an_unknown_execution_is_bad_input(server: RunningServer) -> None:
    described = _cli(server, "describe-execution", "arn:aws:states:us-east-1:123456789012:execution:x:y")
    assert described.returncode == 2
    assert described.stderr.startswith("error: ExecutionDoesNotExist: Execution Does Not Exist:")


def test_a_viewer_cannot_start_an_execution(server: RunningServer) -> None:
    _cli(server, "create-state-machine", "--name", "cli-denied", "--definition", json.dumps(PASS))
    token = json.loads(
        run_cli(
            ["token", "create", "sfn-viewer", "--role", "viewer", "-o", "json"], cwd=server.state_dir.parent
        ).stdout
    )["token"]
    started = _cli(server, "start-execution", "cli-denied", token=token)
    assert started.returncode == 4
    assert "StartExecution needs operator or above" in started.stderr


def test_an_activity_worker_takes_and_completes_a_task(server: RunningServer) -> None:
    _json(_cli(server, "create-activity", "cli-work", "-o", "json"))
    assert "cli-work" in [a["name"] for a in _json(_cli(server, "list-activities", "-o", "json"))]
    _json(
        _cli(
            server,
            "create-state-machine",
            "--name",
            "cli-work",
            "--definition",
            json.dumps(WORK),
            "-o",
            "json",
        )
    )
    started = _json(_cli(server, "start-execution", "cli-work", "--input", '{"job": 7}', "-o", "json"))
    task = _json(_cli(server, "get-activity-task", "cli-work", "--worker-name", "w", "-o", "json"))
    assert json.loads(task["input"]) == {"job": 7}
    _json(
        _cli(
            server,
            "send-task-success",
            "--task-token",
            task["taskToken"],
            "--task-output",
            '{"done": 7}',
            "-o",
            "json",
        )
    )
    arn = started["executionArn"]
    for _ in range(100):
        described = _json(_cli(server, "describe-execution", arn, "-o", "json"))
        if described["status"] != "RUNNING":
            break
    assert json.loads(described["output"]) == {"done": 7}


def test_backup_all_then_restore_brings_a_changed_machine_back(server: RunningServer, tmp_path: Path) -> None:
    definition = tmp_path / "orchestrator.asl.json"
    definition.write_text(json.dumps(PASS))
    _json(
        _cli(
            server,
            "create-state-machine",
            "--name",
            "cli-orchestrator",
            "--definition",
            f"@{definition}",
            "-o",
            "json",
        )
    )
    backed_up = _json(_cli(server, "backup", "--all", str(tmp_path / "backup"), "-o", "json"))
    assert "cli-orchestrator" in [m["name"] for m in backed_up["machines"]]
    saved = json.loads((tmp_path / "backup" / "cli-orchestrator.json").read_text())
    assert (saved["definition"], saved["aliases"], saved["tags"]) == (PASS, [], [])
    definition.write_text(json.dumps(FAIL))  # the corruption seed 001 recovers from
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:cli-orchestrator"
    assert _cli(server, "update-state-machine", arn, "--definition", f"@{definition}").returncode == 0
    restored = _json(_cli(server, "restore", str(tmp_path / "backup"), "-o", "json"))
    assert {m["name"]: m["action"] for m in restored["machines"]}["cli-orchestrator"] == "updated"
    described = _json(_cli(server, "describe-state-machine", "cli-orchestrator", "-o", "json"))
    assert json.loads(described["definition"]) == PASS


def test_a_version_rolled_out_behind_an_alias_is_rolled_back_by_moving_it(
    server: RunningServer, tmp_path: Path
) -> None:
    definition = tmp_path / "rolled.asl.json"
    for result in ("one", "two"):
        definition.write_text(
            json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}})
        )
        if result == "one":
            _json(
                _cli(
                    server,
                    "create-state-machine",
                    "--name",
                    "cli-rolled",
                    "--definition",
                    f"@{definition}",
                    "-o",
                    "json",
                )
            )
        else:
            assert (
                _cli(
                    server, "update-state-machine", "cli-rolled", "--definition", f"@{definition}"
                ).returncode
                == 0
            )
        _json(_cli(server, "publish-state-machine-version", "cli-rolled", "-o", "json"))
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:cli-rolled"
    outputs = []
    for version in (2, 1):
        moved = _json(
            _cli(server, "move-alias", "cli-rolled", "live", "--to-version", str(version), "-o", "json")
        )
        assert moved["routingConfiguration"] == [
            {"stateMachineVersionArn": f"{machine}:{version}", "weight": 100}
        ]
        ended = _json(_cli(server, "start-execution", f"{machine}:live", "--wait", "-o", "json"))
        outputs.append((ended["output"], ended["stateMachineVersionArn"]))
    assert outputs == [('"two"', f"{machine}:2"), ('"one"', f"{machine}:1")]
