"""The orchestrator's own metrics (``fleetops/Deployments``) counted from real executions of an
in-process execution service over a real store, sampled at chosen times."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from fleetops.control import ExecutionService
from fleetops.control.orchestrator_metrics import OrchestratorMetrics
from fleetops.engine import ExecutionStatus
from fleetops.store import Store

PASS: dict[str, Any] = {
    "StartAt": "Step",
    "States": {"Step": {"Type": "Task", "Resource": "fleetops:step", "End": True}},
}
# A deployment that fails and enters the deploy runbook's RollBack state on its way out.
ROLLS_BACK: dict[str, Any] = {
    "StartAt": "Choose",
    "States": {
        "Choose": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Step"}],
            "Default": "Hang",
        },
        "Hang": {"Type": "Task", "Resource": "fleetops:hang", "End": True},
        "Step": {
            "Type": "Task",
            "Resource": "fleetops:step",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "RollBack"}],
            "End": True,
        },
        "RollBack": {"Type": "Pass", "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "DeploymentFailed"},
    },
}


def _values(samples: list[Any]) -> dict[tuple[str, str], list[float]]:
    out: dict[tuple[str, str], list[float]] = {}
    for sample in samples:
        out.setdefault((sample.environment, sample.metric), []).append(sample.value)
    return out


def test_executions_deployments_rollbacks_and_handler_errors_are_counted(sqlite_store: Store) -> None:
    hang = asyncio.Event()

    async def step(fail: bool = False) -> dict[str, Any]:
        if fail:
            raise RuntimeError("boom")
        return {}

    async def hanging(fail: bool) -> dict[str, Any]:
        await hang.wait()
        return {}

    async def scenario() -> tuple[list[Any], list[Any]]:
        service = ExecutionService(sqlite_store, owner="a")
        service.registry.register("fleetops:step", step)
        service.registry.register("fleetops:hang", hanging)
        metrics = OrchestratorMetrics(sqlite_store, lambda: ["dev", "stage"])
        service.writer.observers.append(metrics.counts.observe)
        await service.start()
        other = service.machines.create("other", json.dumps(PASS))
        deploy = service.machines.create("fleetops-deploy", json.dumps(ROLLS_BACK))
        ran = [
            service.start_execution(other.arn, {}).arn,
            service.start_execution(deploy.arn, {"fail": True}, name="deploy-dev-20261207T010000-aaaa").arn,
        ]
        service.start_execution(deploy.arn, {"fail": False}, name="deploy-dev-20261207T010001-bbbb")
        results = [await service.wait(arn, poll_seconds=0.01) for arn in ran]
        assert [r.status for r in results] == [ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED]
        first = metrics.sample(datetime(2026, 12, 7, 1, 0, 10, tzinfo=UTC))
        second = metrics.sample(datetime(2026, 12, 7, 1, 0, 20, tzinfo=UTC))
        hang.set()
        await service.close()
        return first, second

    first, second = asyncio.run(scenario())
    values = _values(first)
    duration = values.pop(("dev", "DeploymentDuration"))
    assert len(duration) == 1 and 0 <= duration[0] < 60
    assert values == {
        ("dev", "ExecutionsStarted"): [3.0],
        ("dev", "ExecutionsRunning"): [1.0],
        ("dev", "TaskHandlerErrors"): [1.0],
        ("dev", "TaskHandlerInvocations"): [3.0],  # other's Step, the failed deploy's Step, Hang
        ("dev", "DeploymentsStarted"): [2.0],
        ("dev", "Rollbacks"): [1.0],
        ("dev", "ConcurrentDeployments"): [1.0],
        ("dev", "DeploymentsSucceeded"): [0.0],
        ("dev", "DeploymentsFailed"): [1.0],
        ("dev", "DeploymentSuccessRate"): [0.0],
        ("stage", "ExecutionsStarted"): [3.0],
        ("stage", "ExecutionsRunning"): [1.0],
        ("stage", "TaskHandlerErrors"): [1.0],
        ("stage", "TaskHandlerInvocations"): [3.0],
        ("stage", "DeploymentsStarted"): [0.0],
        ("stage", "Rollbacks"): [0.0],
        ("stage", "ConcurrentDeployments"): [0.0],
        ("stage", "DeploymentsSucceeded"): [0.0],
        ("stage", "DeploymentsFailed"): [0.0],
    }
    # The next sample counts only what happened since: zeros, not missing data.
    assert _values(second)[("dev", "ExecutionsStarted")] == [0.0]
    assert _values(second)[("dev", "DeploymentsFailed")] == [0.0]
    assert all(s.namespace == "fleetops/Deployments" and s.dimensions == "" for s in first + second)
