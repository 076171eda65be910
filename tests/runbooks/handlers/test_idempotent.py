"""Handlers are called at least once: a repeated call looks at the world and does not act twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fleetops.engine import TaskContext, TaskFailure
from fleetops.runbooks.handlers import HANDLERS
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.testing.runbooks import RunbookWorld

CONTEXT = TaskContext("arn:aws:states:us-east-1:123456789012:execution:deploy:d1", "Initialize", None, 1)


async def _call(world: RunbookWorld, resource: str, payload: Any) -> Any:
    # In a thread and busy, as the engine calls a handler: the fake clock holds still meanwhile.
    # Outside busy, the rollout the first deploy-service started ran on while the second call's
    # thread worked, and under load it was Baking, not InProgress, when that call looked.
    with world.clock.busy():
        return await asyncio.to_thread(HANDLERS[f"fleetops:{resource}"], world.deps, payload, CONTEXT)


def test_initialize_twice_pins_once_and_keeps_its_lock(store: Store, fleet: Fleet) -> None:
    async def scenario() -> tuple[Any, Any]:
        world = RunbookWorld.make(store, fleet)
        payload = {"environment": "dev", "version": "v2", "services": ["menu"]}
        first = await _call(world, "deploy-initialize", payload)
        second = await _call(world, "deploy-initialize", payload)
        return first, second

    first, second = asyncio.run(scenario())
    assert first["waves"] == second["waves"]
    assert first["waves"] == [
        [
            {
                "service": "menu",
                "version": "v2",
                "release": 1,
                "rollout_id": "d1:menu:1",
                "environment": "dev",
                "execution": "d1",
            }
        ]
    ]
    assert len(store.releases.list()) == 1
    assert store.locks.get("dev").owner == "d1"  # type: ignore[union-attr]


def test_deploy_service_twice_starts_one_rollout(store: Store, fleet: Fleet) -> None:
    async def scenario() -> tuple[int, Any]:
        world = RunbookWorld.make(store, fleet)
        plan = await _call(
            world, "deploy-initialize", {"environment": "dev", "version": "v2", "services": ["menu"]}
        )
        item = plan["waves"][0][0]
        await _call(world, "deploy-service", item)
        again = await _call(world, "deploy-service", item)
        return len(world.runtimes["dev"].started), again

    started, again = asyncio.run(scenario())
    assert started == 1
    assert again["done"] is False
    assert again["rollout"]["rollout_id"] == "d1:menu:1"
    assert again["rollout"]["status"] == "InProgress"


def test_check_health_fails_when_the_lock_was_taken_away(store: Store, fleet: Fleet) -> None:
    async def scenario() -> None:
        world = RunbookWorld.make(store, fleet)
        plan = await _call(
            world, "deploy-initialize", {"environment": "dev", "version": "v2", "services": ["menu"]}
        )
        item = plan["waves"][0][0]
        await _call(world, "deploy-service", item)
        store.locks.force_release("dev")
        await _call(world, "deploy-check-health", item)

    with pytest.raises(TaskFailure) as caught:
        asyncio.run(scenario())
    assert caught.value.error == "fleetops.LockLost"
    assert caught.value.cause == (
        "'d1' no longer holds the lock of environment 'dev' (nobody holds it now): "
        "it was force-released or its lease expired and was taken over"
    )
