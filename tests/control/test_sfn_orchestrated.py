"""Deployments of an ``orchestrator: aws-stepfunctions`` environment start, read and stop their
execution on Step Functions: here a served fleetops app whose ``fleetops-shop-dev-deploy`` is a
stand-in that waits (the real export, with workers, is tests/cli/test_sfn_workers.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fleetops.control.deployments import Deployments
from fleetops.control.service import ExecutionService
from fleetops.control.stepfunctions import StepFunctionsRunbooks
from fleetops.errors import Refused
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.testing.api import api_harness
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.sfn import ROLE_ARN, SfnHarness, sfn_harness

FLEET = """
name: shop
environments:
  dev:
    provider: local
    orchestrator: aws-stepfunctions
    stepfunctions: {endpoint_url: "http://127.0.0.1:9", region: us-east-1}
services:
  menu:
    run: {command: "{python} services/x.py"}
    instances: {min: 1, desired: 1, max: 2}
"""
WAITING = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:fleetops-shop-dev-deploy"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SfnHarness]:
    with api_harness(tmp_path_factory.mktemp("endpoint")) as api, sfn_harness(api) as harness:
        created = harness.admin.create_state_machine(
            name="fleetops-shop-dev-deploy", definition=json.dumps(WAITING), roleArn=ROLE_ARN, publish=True
        )
        harness.admin.create_state_machine_alias(
            name="live",
            routingConfiguration=[
                {"stateMachineVersionArn": created["stateMachineVersionArn"], "weight": 100}
            ],
        )
        yield harness


def test_a_deployment_runs_reads_and_stops_on_step_functions(tmp_path: Path, endpoint: SfnHarness) -> None:
    client = endpoint.admin

    async def scenario() -> dict[str, Any]:
        with Store.open(None, tmp_path) as store:
            fleet = load_fleet_text(FLEET)
            executions = ExecutionService(store, clock=FakeClock(auto_advance=True))
            deployments = Deployments(executions, store, InMemoryFleetRuntime(fleet, "dev"), fleet)
            deployments.stepfunctions = StepFunctionsRunbooks(
                lambda: fleet, client=lambda _url, _region: client
            )
            deployments.register()
            await executions.start()
            try:
                started = deployments.deploy(environment="dev", version="v2", requested_by="ana")
                progress = deployments.progress(started.name)
                listed = [r.name for r in deployments.remote_executions(("deploy",), status=None, limit=5)]
                stopped = await deployments.stop(started.name, by="ana")
                # Read in parts (before the stop, then what came after): the whole history.
                history = [(e.id, e.type) for e in deployments.history(started.name)]
                store.locks.acquire("dev", owner="someone", reason="deploy", lease=timedelta(minutes=5))
                with pytest.raises(Refused, match="locked"):
                    deployments.deploy(environment="dev", version="v3", requested_by="ana")
                local = store.executions.list(executions.engine.state_machine_arn("fleetops-deploy"), limit=5)
            finally:
                await executions.close()
            return {
                "started": started,
                "progress": progress,
                "listed": listed,
                "stopped": stopped,
                "history": history,
                "local": local,
            }

    got = asyncio.run(scenario())
    started = got["started"]
    assert started.arn == f"{MACHINE.replace(':stateMachine:', ':execution:')}:{started.name}"
    remote = client.describe_execution(executionArn=started.arn)
    assert (remote["stateMachineAliasArn"], remote["status"], remote["error"]) == (
        f"{MACHINE}:live",
        "ABORTED",
        "fleetops.Stopped",
    )
    assert json.loads(remote["input"])["version"] == "v2"
    progress = got["progress"]
    assert (progress["execution"], progress["status"], progress["services"]) == (started.name, "RUNNING", [])
    assert got["listed"] == [started.name]
    assert got["stopped"] == {"execution": started.name, "status": "ABORTED", "rollback": None}
    events = client.get_execution_history(executionArn=started.arn)["events"]
    assert got["history"] == [(e["id"], e["type"]) for e in events]
    assert [t for _, t in got["history"]][:: len(events) - 1] == ["ExecutionStarted", "ExecutionAborted"]
    # Refused at once: nothing started there (and nothing ever ran here).
    assert [e["name"] for e in client.list_executions(stateMachineArn=MACHINE)["executions"]] == [
        started.name
    ]
    assert got["local"] == []
