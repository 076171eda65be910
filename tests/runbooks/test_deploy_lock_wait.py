"""A deployment queued for the lock (``--lock-wait``) decides everything once it holds it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fleetops.engine import ExecutionHandle, ExecutionResult, ExecutionStatus
from fleetops.ops.maintenance import block_services, start_maintenance
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.runbooks import T0, RunbookWorld, hold_calls

ALL = ["db-api", "gateway", "menu", "orders"]


async def _queued(handle: ExecutionHandle) -> None:
    """Wait until the execution has found the lock held and waits for it."""
    for _ in range(3000):
        if any(
            e.type == "WaitStateEntered" and e.details.get("name") == "WaitForLock" for e in handle.history()
        ):
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"{handle.name} never queued for the lock")


@pytest.mark.timeout(120)  # before the fix its initialize blocked the clock: this hung
def test_a_deploy_queued_behind_another_deploys_its_version_after_it(store: Store, fleet: Fleet) -> None:
    # The fleet is on v1 (verified) when d1 (v1) queues behind d2 (v2): d1 must not decide then
    # that nothing changes; once d2 has put v2 everywhere, d1 puts v1 back.
    async def scenario() -> tuple[ExecutionResult, ExecutionResult, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v1"}, name="d0")
        held = world.hold("fleetops:deploy-service", "db-api")
        d2 = world.start("deploy", {"environment": "dev", "version": "v2"}, name="d2")
        await held.reached()
        d1 = world.start(
            "deploy", {"environment": "dev", "version": "v1", "lock_wait_seconds": 3600}, name="d1"
        )
        await _queued(d1)
        await held.release()
        return await d2.result(), await d1.result(), world

    second, first, world = asyncio.run(scenario())
    assert (second.status, first.status) == (ExecutionStatus.SUCCEEDED, ExecutionStatus.SUCCEEDED)
    assert world.versions() == dict.fromkeys(ALL, "v1")
    assert sorted((r.service, r.version, str(r.status)) for r in store.releases.list(execution_id="d1")) == [
        (service, "v1", "verified") for service in ALL
    ]
    assert store.locks.get("dev") is None


def _queued_then(
    store: Store, fleet: Fleet, declare: Any
) -> tuple[ExecutionResult, ExecutionResult, RunbookWorld]:
    # d2 holds the lock (its finalize held in its thread), d1 queues behind it; ``declare`` runs
    # while d1 waits, then d2 finishes and d1 takes the lock.
    async def scenario() -> tuple[ExecutionResult, ExecutionResult, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        held = hold_calls(world.registry, "fleetops:deploy-finalize")
        d2 = world.start("deploy", {"environment": "dev", "version": "v2"}, name="d2")
        await held.reached()
        d1 = world.start(
            "deploy", {"environment": "dev", "version": "v3", "lock_wait_seconds": 3600}, name="d1"
        )
        await _queued(d1)
        declare()
        await held.release()
        return await d2.result(), await d1.result(), world

    return asyncio.run(scenario())


def test_a_maintenance_window_declared_while_a_deploy_waits_refuses_it(store: Store, fleet: Fleet) -> None:
    def declare() -> None:
        start_maintenance(store, environment="dev", reason="db upgrade", by="ana", clock=FakeClock(T0))

    second, first, world = _queued_then(store, fleet, declare)
    assert second.status is ExecutionStatus.SUCCEEDED
    assert (first.status, first.error) == (ExecutionStatus.FAILED, "fleetops.Refused")
    assert first.cause is not None
    assert first.cause.startswith("deployment to 'dev' refused: maintenance of environment 'dev' by ana")
    assert world.versions() == dict.fromkeys(ALL, "v2")
    assert [r.version for r in store.releases.list(execution_id="d1")] == []
    assert store.locks.get("dev") is None


def test_a_block_declared_while_a_deploy_waits_refuses_it(store: Store, fleet: Fleet) -> None:
    def declare() -> None:
        block_services(
            store, ["orders"], environment="dev", reason="incident 7", by="bo", clock=FakeClock(T0)
        )

    _second, first, world = _queued_then(store, fleet, declare)
    assert (first.status, first.error) == (ExecutionStatus.FAILED, "fleetops.Refused")
    assert first.cause is not None
    assert first.cause.startswith("deployment to 'dev' refused: service 'orders' is blocked in 'dev' by bo")
    assert world.versions() == dict.fromkeys(ALL, "v2")
    assert store.locks.get("dev") is None
