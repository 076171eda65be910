"""Runbooks exported to a Step Functions endpoint and served by ``fleetops worker`` processes.

One module, shared processes: the example fleet's dev environment runs under its control plane
(``fleetops up``; one instance a service, bakes, warmup and orders' checkpoint pause shortened
to keep the module short),
a second fleetops server is the Step Functions endpoint, ``fleetops sfn export --all`` puts the
runbooks there and two workers serve their activities. dev is ``orchestrator: aws-stepfunctions``
with that endpoint, so ``fleetops deploy dev`` runs there too. Deployments run on the endpoint,
the rollouts on the fleet.
Also: the export to moto's Step Functions (which runs nothing, hence ``--no-check``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import boto3
import pytest

from fleetops.runbooks import RUNBOOKS
from fleetops.server.settings import read_server_file
from fleetops.testing.example import NotificationSinks, copy_example, quick_orders, single_instances
from fleetops.testing.moto import moto_server
from fleetops.testing.server import RunningServer, cli_env, run_cli, running_server
from fleetops.testing.sfn import sfn_client
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

DEPLOY_ALIAS = "arn:aws:states:us-east-1:123456789012:stateMachine:fleetops-restaurant-dev-deploy:live"
HEARTBEAT = "10"
EXPORT = ("sfn", "export", "--all", "--env", "dev", "-o", "json")


@dataclass
class Setup:
    """The fleet's folder, the endpoint, its client, the export's answer and the workers."""

    folder: Path
    endpoint: RunningServer
    client: Any
    exported: dict[str, Any]
    workers: dict[str, subprocess.Popen[bytes]]
    env: dict[str, str]


def _example(base: Path, sinks: NotificationSinks, endpoint: str | None = None) -> Path:
    """The example fleet; with ``endpoint``, its dev environment orchestrated there."""
    folder = copy_example(base / "restaurant", sinks)
    fleet_file = folder / "fleet.yaml"
    # One instance a service: the deployment's path through the endpoint and the workers is
    # the point, not how a rollout replaces several (tests/control, tests/rollout).
    text = single_instances(quick_orders(fleet_file.read_text().replace("      port: 8080\n", "")))
    text = text.replace("      warmup: 1s\n      bake_time: 5s\n", "      warmup: 0s\n      bake_time: 1s\n")
    if endpoint is not None:
        orchestrated = (
            "  dev:\n    provider: local\n    orchestrator: aws-stepfunctions\n"
            f"    stepfunctions: {{endpoint_url: '{endpoint}', region: us-east-1}}\n"
        )
        text = text.replace("  dev:\n    provider: local\n", orchestrated, 1)
    fleet_file.write_text(text)
    return folder


def _worker(
    folder: Path, endpoint: str, name: str, env: dict[str, str], log: IO[bytes]
) -> subprocess.Popen[bytes]:
    args = ["worker", "--env", "dev", "--endpoint-url", endpoint, "--name", name]
    return subprocess.Popen(
        [sys.executable, "-m", "fleetops", *args],
        cwd=folder,
        env=cli_env(env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, sinks: NotificationSinks) -> Iterator[Setup]:
    base = tmp_path_factory.mktemp("sfn-workers")
    workers: dict[str, subprocess.Popen[bytes]] = {}
    logs = [(base / f"{name}.log").open("wb") for name in ("w1", "w2")]
    (base / "endpoint").mkdir()
    with running_server(base / "endpoint", timeout=120) as endpoint:
        # The control plane's credentials for the endpoint (boto3's chain), as on AWS its role's.
        env = {
            "AWS_ACCESS_KEY_ID": endpoint.admin_token,
            "AWS_SECRET_ACCESS_KEY": "unused",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        folder = _example(base, sinks, endpoint.url)
        try:
            up = run_cli(["up", "--env", "dev", "-o", "json"], cwd=folder, env=env, timeout=180)
            assert up.returncode == 0, up.stderr
            # The endpoint comes from the fleet file (stepfunctions.endpoint_url).
            export = run_cli([*EXPORT, "--heartbeat-seconds", HEARTBEAT], cwd=folder, env=env)
            assert export.returncode == 0, export.stderr
            for name, log in zip(("w1", "w2"), logs, strict=True):
                workers[name] = _worker(folder, endpoint.url, name, env, log)
            yield Setup(
                folder,
                endpoint,
                sfn_client(endpoint.url, endpoint.admin_token),
                json.loads(export.stdout),
                workers,
                env,
            )
        finally:
            for process in workers.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
            for log in logs:
                log.close()
            run_cli(["down"], cwd=folder, timeout=60)


def _deploy(setup: Setup, version: str, services: list[str]) -> str:
    request = {"environment": "dev", "version": version, "services": services, "requested_by": "sfn-test"}
    started = setup.client.start_execution(stateMachineArn=DEPLOY_ALIAS, input=json.dumps(request))
    return str(started["executionArn"])


def _ended(setup: Setup, arn: str) -> dict[str, Any]:
    described: dict[str, Any] = wait_until(
        lambda: (d := setup.client.describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
        timeout=240,
        interval=0.5,  # a look costs the endpoint a describe: the execution takes tens of seconds
    )
    return described


def _history(setup: Setup, arn: str) -> list[dict[str, Any]]:
    pages = setup.client.get_paginator("get_execution_history").paginate(executionArn=arn)
    return [event for page in pages for event in page["events"]]


def _versions(setup: Setup) -> dict[str, list[str]]:
    status = run_cli(["status", "-o", "json"], cwd=setup.folder)
    assert status.returncode == 0, status.stderr
    return {s["name"]: s["versions"] for s in json.loads(status.stdout)["services"]}


def test_export_publishes_a_checked_version_behind_live(setup: Setup) -> None:
    machines = setup.exported["machines"]
    assert sorted(machines) == [f"fleetops-restaurant-dev-{runbook}" for runbook in sorted(RUNBOOKS)]
    deploy = machines["fleetops-restaurant-dev-deploy"]
    assert (deploy["alias_arn"], deploy["version_arn"], deploy["checked"]) == (
        DEPLOY_ALIAS,
        DEPLOY_ALIAS.replace(":live", ":1"),
        "validated, test execution succeeded",
    )
    alias = setup.client.describe_state_machine_alias(stateMachineAliasArn=DEPLOY_ALIAS)
    assert alias["routingConfiguration"] == [{"stateMachineVersionArn": deploy["version_arn"], "weight": 100}]
    activities = [a["name"] for a in setup.client.list_activities()["activities"]]
    assert "fleetops-restaurant-dev-deploy-initialize" in activities
    assert all(name.startswith("fleetops-restaurant-dev-") for name in activities)


def test_fleetops_deploy_of_an_aws_stepfunctions_environment_runs_on_the_endpoint(setup: Setup) -> None:
    """`orchestrator: aws-stepfunctions`: `fleetops deploy --wait` starts the exported machine
    through `live`, the workers serve its activities, the CLI follows it to exit 0."""
    deployed = run_cli(
        ["deploy", "dev", "--version", "v2", "--wait", "-o", "json"], cwd=setup.folder, timeout=480
    )
    assert deployed.returncode == 0, deployed.stderr
    progress = json.loads(deployed.stdout)
    name = progress["execution"]
    assert (progress["status"], progress["execution_arn"]) == (
        "SUCCEEDED",
        f"{DEPLOY_ALIAS.removesuffix(':live').replace(':stateMachine:', ':execution:')}:{name}",
    )
    versions = _versions(setup)
    assert sorted((s["service"], s["version"], s["status"]) for s in progress["services"]) == [
        (service, "v2", "Successful") for service in sorted(versions)
    ]
    described = setup.client.describe_execution(executionArn=progress["execution_arn"])
    assert described["stateMachineAliasArn"] == DEPLOY_ALIAS
    workers = {
        e["activityStartedEventDetails"]["workerName"]
        for e in _history(setup, progress["execution_arn"])
        if e["type"] == "ActivityStarted"
    }
    assert workers and workers <= {"w1", "w2"}
    assert all(v == ["v2"] for v in versions.values())
    # The handlers ran in the control plane: the lock is given back, the releases verified.
    locks = run_cli(["lock", "status", "-o", "json"], cwd=setup.folder)
    assert json.loads(locks.stdout) == [], locks.stdout
    releases = run_cli(["releases", "--env", "dev", "-o", "json"], cwd=setup.folder)
    pinned = [r for r in json.loads(releases.stdout) if r["execution_id"] == name]
    assert sorted((r["version"], r["status"]) for r in pinned) == [("v2", "verified")] * len(
        progress["services"]
    )
    # `executions` reads it from the endpoint.
    listed = run_cli(["executions", "list", "--runbook", "deploy", "-o", "json"], cwd=setup.folder)
    assert [(e["execution"], e["status"]) for e in json.loads(listed.stdout)][:1] == [(name, "SUCCEEDED")]
    history = run_cli(["executions", "history", name, "-o", "json"], cwd=setup.folder)
    types = [e["type"] for e in json.loads(history.stdout)]
    assert (types[0], types[-1], "ActivityScheduled" in types) == (
        "ExecutionStarted",
        "ExecutionSucceeded",
        True,
    )


def test_a_killed_worker_times_out_on_its_heartbeat_and_the_retry_finishes(setup: Setup) -> None:
    control_plane = read_server_file(setup.folder / ".fleetops")
    assert control_plane is not None
    pid = int(control_plane["pid"])
    # The control plane paused: the worker that takes the first task waits on it, mid-task. One
    # service deployed: the retry is the point, not the fleet's rollout (the test before).
    os.kill(pid, signal.SIGSTOP)
    try:
        arn = _deploy(setup, "v3", ["menu"])
        started = wait_until(
            lambda: next((e for e in _history(setup, arn) if e["type"] == "ActivityStarted"), None),
            timeout=60,
        )
        victim = started["activityStartedEventDetails"]["workerName"]
        setup.workers[victim].kill()
        setup.workers[victim].wait()
    finally:
        os.kill(pid, signal.SIGCONT)
    ended = _ended(setup, arn)
    assert (ended["status"], ended.get("error")) == ("SUCCEEDED", None)
    events = _history(setup, arn)
    # The killed worker's task timed out on its heartbeat (a loaded machine may time out others).
    after_kill = next(e for e in events if e.get("previousEventId") == started["id"])
    assert (after_kill["type"], after_kill["activityTimedOutEventDetails"]["error"]) == (
        "ActivityTimedOut",
        "States.HeartbeatTimeout",
    )
    timed_out = [e for e in events if e["type"] == "ActivityTimedOut"]
    survivor = ({"w1", "w2"} - {victim}).pop()
    after = events[events.index(timed_out[0]) :]
    assert {
        e["activityStartedEventDetails"]["workerName"] for e in after if e["type"] == "ActivityStarted"
    } == {survivor}
    assert _versions(setup)["menu"] == ["v3"]


def test_the_export_is_accepted_by_motos_step_functions(tmp_path: Path, sinks: NotificationSinks) -> None:
    folder = _example(tmp_path, sinks)
    with moto_server() as moto:
        export = run_cli(
            [
                *EXPORT,
                "--no-check",
                "--region",
                "us-east-1",
                "--role-arn",
                "arn:aws:iam::123456789012:role/sfn",
            ],
            cwd=folder,
            env=moto.env,
        )
        assert export.returncode == 0, export.stderr
        client = boto3.client("stepfunctions", region_name="us-east-1")
        names = sorted(m["name"] for m in client.list_state_machines()["stateMachines"])
        assert names == [f"fleetops-restaurant-dev-{runbook}" for runbook in sorted(RUNBOOKS)]
        deploy = json.loads(export.stdout)["machines"]["fleetops-restaurant-dev-deploy"]
        alias = client.describe_state_machine_alias(stateMachineAliasArn=deploy["alias_arn"])
        assert alias["routingConfiguration"] == [
            {"stateMachineVersionArn": deploy["version_arn"], "weight": 100}
        ]
        assert deploy["checked"] == "not checked: --no-check"
