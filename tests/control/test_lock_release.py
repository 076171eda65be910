"""``lock release --force`` of a deployment still running is refused; ``--stop-holder`` stops it
as ``fleetops stop`` does (its rollback holds the lock until it ends)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetops.control.deployments import Deployments
from fleetops.control.lock_release import release_lock
from fleetops.control.service import ExecutionService
from fleetops.engine import ExecutionStatus
from fleetops.errors import Refused
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.runbooks import hold_calls

FLEET = """
name: shop
environments:
  dev: {provider: local}
services:
  menu:
    run: {command: "{python} services/x.py"}
    instances: {min: 1, desired: 2, max: 3}
    health: {path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2}
    deploy: {warmup: 1s, bake_time: 5s, deregistration_delay: 1s, auto_rollback: false}
"""


def _world(store: Store) -> tuple[Deployments, ExecutionService, InMemoryFleetRuntime]:
    fleet = load_fleet_text(FLEET)
    runtime = InMemoryFleetRuntime(fleet, "dev")
    executions = ExecutionService(store, clock=FakeClock(auto_advance=True))
    deployments = Deployments(executions, store, runtime, fleet)
    deployments.register()
    return deployments, executions, runtime


def test_the_lock_of_a_running_deployment_is_not_released_without_stopping_it(tmp_path: Path) -> None:
    async def scenario() -> tuple[str, str | None, ExecutionStatus]:
        with Store.open(None, tmp_path) as store:
            deployments, executions, _runtime = _world(store)
            held = hold_calls(executions.registry, "fleetops:deploy-service")
            await executions.start()
            try:
                first = deployments.deploy(environment="dev", version="v2", requested_by="ana")
                await held.reached()
                with pytest.raises(Refused) as refused:
                    await release_lock(deployments, "dev", stop_holder=False, by="admin")
                lock = store.locks.get("dev")
                status = executions.describe_execution(first.arn).status
                await held.release()
                await executions.wait(first.arn)
            finally:
                await executions.close()
            return refused.value.message, None if lock is None else lock.owner, ExecutionStatus(status)

    message, owner, status = asyncio.run(scenario())
    assert owner is not None and owner.startswith("deploy-dev-")
    assert message == (
        f"environment 'dev' is locked by {owner!r}, a deployment still running (reason: deploy v2 by ana): "
        "without its lock it would go on beside the next deployment. Stop it and give the environment "
        f"back with: fleetops lock release --force --stop-holder --env dev (or fleetops stop {owner})"
    )
    assert status is ExecutionStatus.RUNNING


def test_stop_holder_stops_the_deployment_and_its_rollback_gives_the_lock_back(tmp_path: Path) -> None:
    async def scenario() -> tuple[
        str, dict[str, object], ExecutionStatus, ExecutionStatus, str | None, dict[str, str]
    ]:
        with Store.open(None, tmp_path) as store:
            deployments, executions, runtime = _world(store)
            held = hold_calls(executions.registry, "fleetops:deploy-service")
            await executions.start()
            try:
                first = deployments.deploy(environment="dev", version="v2", requested_by="ana")
                await held.reached()
                out = await release_lock(deployments, "dev", stop_holder=True, by="admin")
                stopped = executions.describe_execution(first.arn).status
                rollback = await executions.wait(out["stopped"]["rollback"]["execution_arn"])  # type: ignore[index]
                await held.release()
                lock = store.locks.get("dev")
            finally:
                await executions.close()
            return (
                first.name,
                out,
                ExecutionStatus(stopped),
                rollback.status,
                lock and lock.owner,
                runtime.current_versions(),
            )

    name, out, stopped, rolled_back, owner, versions = asyncio.run(scenario())
    assert (stopped, rolled_back) == (ExecutionStatus.ABORTED, ExecutionStatus.SUCCEEDED)
    assert out["released"] is None
    assert out["held_by"] == name  # until its rollback takes the lock over, then gives it back
    assert (owner, versions) == (None, {"menu": "v1"})


def test_the_lock_of_a_holder_that_does_not_run_is_released_at_once(tmp_path: Path) -> None:
    async def scenario() -> dict[str, object]:
        with Store.open(None, tmp_path) as store:
            deployments, executions, _runtime = _world(store)
            store.locks.acquire(
                "dev", owner="crashed-1", reason="deploy v3", lease=timedelta(hours=1), now=datetime.now(UTC)
            )
            await executions.start()
            try:
                return await release_lock(deployments, None, stop_holder=False, by="admin")
            finally:
                await executions.close()

    out = asyncio.run(scenario())
    assert (out["stopped"], out["held_by"]) == (None, None)
    assert out["released"]["owner"] == "crashed-1"  # type: ignore[index]
