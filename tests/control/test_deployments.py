"""Deployments in the execution service: a stop during initialize leaves nothing held."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fleetops.control.deployments import Deployments, machine_name
from fleetops.control.initial_releases import pin_initial
from fleetops.control.service import ExecutionService
from fleetops.engine import ExecutionResult, ExecutionStatus
from fleetops.errors import BadInput, Refused
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
  menu: &svc
    run: {command: "{python} services/x.py"}
    instances: {min: 1, desired: 2, max: 3}
    health: {path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2}
    deploy: {warmup: 1s, bake_time: 5s, deregistration_delay: 1s, auto_rollback: false}
  orders:
    <<: *svc
    depends_on: [menu]
"""


@dataclass
class Stopped:
    """What a stop during initialize returned and left, and how the next deployment went."""

    stop: dict[str, Any]
    lock_owner: str | None
    releases: dict[str, str]
    next_deployment: ExecutionResult
    versions: dict[str, str]


def _stop_during_initialize(tmp_path: Path, *, after_it_ran: bool) -> Stopped:
    """Deploy v2 as ``first``, stop it while its initialize step is held (before it ran, or
    after it ran but before its plan reached the engine), let the step go on, then deploy v2
    again at once."""

    async def scenario() -> Stopped:
        with Store.open(None, tmp_path) as store:
            fleet = load_fleet_text(FLEET)
            runtime = InMemoryFleetRuntime(fleet, "dev")
            executions = ExecutionService(store, clock=FakeClock(auto_advance=True))
            deployments = Deployments(executions, store, runtime, fleet)
            deployments.register()
            held = hold_calls(executions.registry, "fleetops:deploy-initialize", after=after_it_ran)
            await executions.start()
            try:
                first = deployments.deploy(environment="dev", version="v2", requested_by="ana")
                await held.reached()
                stop = await deployments.stop(first.name, by="ana")
                await held.release()  # it goes on in its thread, after the stop
                lock = store.locks.get("dev")
                releases = {r.service: str(r.status) for r in store.releases.list(execution_id=first.name)}
                second = deployments.deploy(environment="dev", version="v2", requested_by="bo")
                result = await executions.wait(second.arn)
            finally:
                await executions.close()
            return Stopped(
                {k: v for k, v in stop.items() if k != "execution"},
                None if lock is None else lock.owner,
                releases,
                result,
                runtime.current_versions(),
            )

    return asyncio.run(scenario())


def test_a_deployment_stopped_before_its_initialize_step_ran_takes_nothing(tmp_path: Path) -> None:
    stopped = _stop_during_initialize(tmp_path, after_it_ran=False)
    assert stopped.stop == {"status": "ABORTED", "rollback": None, "releases": []}
    assert (stopped.lock_owner, stopped.releases) == (None, {})
    assert stopped.next_deployment.status is ExecutionStatus.SUCCEEDED, stopped.next_deployment
    assert stopped.versions == {"menu": "v2", "orders": "v2"}


def test_a_deployment_stopped_before_its_plan_was_recorded_gives_back_what_it_took(
    tmp_path: Path,
) -> None:
    stopped = _stop_during_initialize(tmp_path, after_it_ran=True)
    assert stopped.stop == {
        "status": "ABORTED",
        "rollback": None,
        "releases": [
            {"service": "orders", "release": 1, "status": "rolled_back"},
            {"service": "menu", "release": 1, "status": "rolled_back"},
        ],
    }
    assert (stopped.lock_owner, stopped.releases) == (None, {"menu": "rolled_back", "orders": "rolled_back"})
    assert stopped.next_deployment.status is ExecutionStatus.SUCCEEDED, stopped.next_deployment
    assert stopped.versions == {"menu": "v2", "orders": "v2"}


def _world(store: Store) -> tuple[Deployments, ExecutionService, InMemoryFleetRuntime]:
    fleet = load_fleet_text(FLEET)
    runtime = InMemoryFleetRuntime(fleet, "dev")
    executions = ExecutionService(store, clock=FakeClock(auto_advance=True))
    deployments = Deployments(executions, store, runtime, fleet)
    deployments.register()
    return deployments, executions, runtime


def test_a_deployment_retried_right_after_a_stop_cannot_take_the_lock_from_its_rollback(
    tmp_path: Path,
) -> None:
    async def scenario() -> tuple[str, str | None, str, ExecutionResult, str | None, dict[str, str]]:
        with Store.open(None, tmp_path) as store:
            deployments, executions, runtime = _world(store)
            service = hold_calls(executions.registry, "fleetops:deploy-service")
            initialize = hold_calls(executions.registry, "fleetops:rollback-initialize")
            await executions.start()
            try:
                first = deployments.deploy(environment="dev", version="v2", requested_by="ana")
                await service.reached()
                stop = await deployments.stop(first.name, by="ana")
                await initialize.reached()
                lock = store.locks.get("dev")
                held_by = None if lock is None else lock.owner
                try:
                    deployments.deploy(environment="dev", version="v2", requested_by="ci")
                    retried = "started"
                except Refused as refused:
                    retried = f"refused: {first.name in str(refused)}"
                await initialize.release()
                result = await executions.wait(stop["rollback"]["execution_arn"])
                await service.release()
                after = store.locks.get("dev")
            finally:
                await executions.close()
            return (
                first.name,
                held_by,
                retried,
                result,
                None if after is None else after.owner,
                (runtime.current_versions()),
            )

    name, held_by, retried, result, after, versions = asyncio.run(scenario())
    assert (held_by, retried) == (name, "refused: True")
    assert result.status is ExecutionStatus.SUCCEEDED, result
    assert (after, versions) == (None, {"menu": "v1", "orders": "v1"})


def test_a_finalize_step_still_running_after_the_stop_verifies_nothing(tmp_path: Path) -> None:
    async def scenario() -> tuple[ExecutionResult, dict[str, str], dict[str, str]]:
        with Store.open(None, tmp_path) as store:
            deployments, executions, runtime = _world(store)
            for service in ("menu", "orders"):  # what fleetops up records: v1, verified
                initial = pin_initial(store, load_fleet_text(FLEET), "dev", service, "v1")
                assert initial is not None
                store.releases.mark_verified("dev", service, initial.number)
            finalize = hold_calls(executions.registry, "fleetops:deploy-finalize")
            initialize = hold_calls(executions.registry, "fleetops:rollback-initialize")
            await executions.start()
            try:
                first = deployments.deploy(environment="dev", version="v2", requested_by="ana")
                await finalize.reached()
                stop = await deployments.stop(first.name, by="ana")
                await finalize.release()  # it goes on in its thread, after the stop
                await initialize.reached()
                await initialize.release()
                result = await executions.wait(stop["rollback"]["execution_arn"])
                releases = {r.service: str(r.status) for r in store.releases.list(execution_id=first.name)}
            finally:
                await executions.close()
            return result, releases, runtime.current_versions()

    result, releases, versions = asyncio.run(scenario())
    assert result.status is ExecutionStatus.SUCCEEDED, result
    assert releases == {"menu": "rolled_back", "orders": "rolled_back"}
    assert versions == {"menu": "v1", "orders": "v1"}


StoppedRollback = tuple[dict[str, Any], str | None, list[str]]


def _stop_a_rollback(tmp_path: Path, resource: str, *, after: bool) -> StoppedRollback:
    """Deploy v2 (v1 verified before), stop it while orders' deploy-service call is held (menu
    is on v2), then stop its rollback while its ``resource`` call is held; what the second stop
    returned, the lock's owner after, and the rollback executions there are."""

    async def scenario() -> StoppedRollback:
        with Store.open(None, tmp_path) as store:
            deployments, executions, _runtime = _world(store)
            for service in ("menu", "orders"):
                initial = pin_initial(store, load_fleet_text(FLEET), "dev", service, "v1")
                assert initial is not None
                store.releases.mark_verified("dev", service, initial.number)
            orders = hold_calls(
                executions.registry, "fleetops:deploy-service", when=lambda p: p.get("service") == "orders"
            )
            held = hold_calls(executions.registry, resource, after=after)
            await executions.start()
            try:
                first = deployments.deploy(environment="dev", version="v2", requested_by="ana")
                await orders.reached()
                rollback = (await deployments.stop(first.name, by="ana"))["rollback"]
                await held.reached()
                stop = await deployments.stop(rollback["execution"], by="bo")
                await held.release()
                await orders.release()
                lock = store.locks.get("dev")
                machine = executions.engine.state_machine_arn(machine_name("rollback"))
                rollbacks = [r.name for r in store.executions.list(machine, limit=10)]
            finally:
                await executions.close()
            assert stop["execution"] == rollback["execution"]
            assert store.stopped.get(rollback["execution"]) is not None
            named = ["first" if name == rollback["execution"] else name for name in rollbacks]
            answer = {k: v for k, v in stop.items() if k != "execution"}
            return answer, None if lock is None else lock.owner, named

    return asyncio.run(scenario())


@pytest.mark.parametrize(
    ("resource", "after"),
    [
        ("fleetops:rollback-initialize", False),
        ("fleetops:rollback-initialize", True),
        ("fleetops:rollback-service", False),
    ],
)
def test_stopping_a_rollback_frees_the_environment_and_starts_no_rollback(
    tmp_path: Path, resource: str, after: bool
) -> None:
    stop, lock_owner, rollbacks = _stop_a_rollback(tmp_path, resource, after=after)
    assert stop == {"status": "ABORTED", "rollback": None}
    assert (lock_owner, rollbacks) == (None, ["first"])


def test_stopping_a_finished_deployment_changes_nothing_and_says_it_ended(tmp_path: Path) -> None:
    async def scenario() -> tuple[str, str, bool, list[str], dict[str, str], dict[str, str]]:
        with Store.open(None, tmp_path) as store:
            deployments, executions, runtime = _world(store)
            await executions.start()
            try:
                first = deployments.deploy(environment="dev", version="v2", requested_by="ana")
                assert (await executions.wait(first.arn)).status is ExecutionStatus.SUCCEEDED
                with pytest.raises(BadInput) as refused:
                    await deployments.stop(first.name, by="ana")
                machine = executions.engine.state_machine_arn(machine_name("rollback"))
                rollbacks = [r.name for r in store.executions.list(machine, limit=10)]
                releases = {r.service: str(r.status) for r in store.releases.list(execution_id=first.name)}
            finally:
                await executions.close()
            return (
                first.name,
                str(refused.value),
                store.stopped.get(first.name) is None,
                rollbacks,
                releases,
                runtime.current_versions(),
            )

    name, message, not_recorded, rollbacks, releases, versions = asyncio.run(scenario())
    assert message == f"execution {name} already ended (SUCCEEDED): there is nothing to stop"
    assert (not_recorded, rollbacks) == (True, [])
    assert releases == {"menu": "verified", "orders": "verified"}
    assert versions == {"menu": "v2", "orders": "v2"}
