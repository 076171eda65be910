"""An environment with ``approval: required`` waits for a person before any rollout."""

from __future__ import annotations

import asyncio

from fleetops.engine import ExecutionHandle, ExecutionResult, ExecutionStatus
from fleetops.runbooks.handlers.approval import pending_approval_token
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.testing.receivers import WebhookReceiver
from fleetops.testing.runbooks import RunbookWorld


async def _waiting_token(world: RunbookWorld, handle: ExecutionHandle) -> str:
    # Hold the fake clock while looking: left alone it would jump over the approval's timeout.
    with world.clock.busy():
        for _ in range(500):
            token = pending_approval_token(handle.history())
            if token is not None:
                return token
            await asyncio.sleep(0.01)
    raise AssertionError(
        f"the deployment never reached its approval: {[e.type for e in handle.history()][-3:]}"
    )


def test_an_approved_deployment_goes_on(store: Store, fleet: Fleet) -> None:
    async def scenario() -> tuple[ExecutionResult, RunbookWorld, int]:
        world = RunbookWorld.make(store, fleet)
        handle = world.start("deploy", {"environment": "prod", "version": "v2"}, name="p1")
        with world.clock.busy():
            token = await _waiting_token(world, handle)
            before = len(world.runtimes["prod"].started)
            world.engine.send_task_success(token, {"approved_by": "ana"})
        return await handle.result(), world, before

    result, world, started_before_approval = asyncio.run(scenario())
    assert started_before_approval == 0
    assert result.status is ExecutionStatus.SUCCEEDED
    assert world.versions("prod") == dict.fromkeys(["db-api", "gateway", "menu", "orders"], "v2")


def test_a_rejected_deployment_fails_and_changes_nothing(store: Store, fleet: Fleet) -> None:
    async def scenario() -> tuple[ExecutionResult, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        handle = world.start("deploy", {"environment": "prod", "version": "v2"}, name="p1")
        with world.clock.busy():
            token = await _waiting_token(world, handle)
            world.engine.send_task_failure(token, "fleetops.ApprovalRejected", "not today")
        return await handle.result(), world

    result, world = asyncio.run(scenario())
    assert (result.error, result.cause) == ("fleetops.ApprovalRejected", "not today")
    assert world.runtimes["prod"].started == []
    assert {str(r.status) for r in store.releases.list(environment="prod")} == {"rolled_back"}
    assert store.locks.get("prod") is None


def test_an_approval_nobody_gives_times_out(store: Store, fleet: Fleet) -> None:
    async def scenario() -> ExecutionResult:
        world = RunbookWorld.make(store, fleet)
        input = {"environment": "prod", "version": "v2", "approval_timeout_seconds": 600}
        return await world.run("deploy", input, name="p1")

    result = asyncio.run(scenario())
    assert (result.error, result.cause) == ("States.Timeout", "States.Timeout")
    assert store.locks.get("prod") is None


def test_a_promotion_deploys_the_given_versions_after_approval(
    store: Store, fleet: Fleet, hook: WebhookReceiver
) -> None:
    async def scenario() -> tuple[ExecutionResult, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        versions = {"menu": "v2", "orders": "v7"}
        input = {"environment": "prod", "versions": versions, "operation": "promote", "promote_from": "dev"}
        handle = world.start("deploy", input, name="p1")
        with world.clock.busy():
            token = await _waiting_token(world, handle)
            world.engine.send_task_success(token, {"approved_by": "ana"})
        return await handle.result(), world

    result, world = asyncio.run(scenario())
    assert result.status is ExecutionStatus.SUCCEEDED
    assert world.versions("prod") == {"db-api": "v1", "gateway": "v1", "menu": "v2", "orders": "v7"}
    assert [b["text"].split("\n")[0] for b in hook.bodies] == [
        "prod: deploy started (p1)",
        "prod: promote succeeded after 18s (p1)",
    ]
