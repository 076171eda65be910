"""The rollback runbook: named services back to their last verified release; undoing a stopped deployment."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fleetops.engine import ExecutionResult, ExecutionStatus
from fleetops.ops.locks import release_lock
from fleetops.runbooks.ports import RolloutRequest
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.testing.fake_fleet import Behaviour
from fleetops.testing.receivers import WebhookReceiver
from fleetops.testing.runbooks import RunbookWorld

ALL = ["db-api", "gateway", "menu", "orders"]


def test_rollback_returns_a_drifted_service_and_skips_the_others(
    store: Store, fleet: Fleet, hook: WebhookReceiver
) -> None:
    async def scenario() -> tuple[ExecutionResult, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        runtime = world.runtimes["dev"]
        # Someone rolled menu to v3 by hand, outside any runbook.
        await asyncio.to_thread(runtime.start_rollout, RolloutRequest("manual", "dev", "menu", "v3", 9))
        while runtime.describe_rollout("manual").status != "Successful":
            await world.clock.sleep(1)
        return await world.run("rollback", {"environment": "dev"}, name="r1"), world

    result, world = asyncio.run(scenario())
    assert result.status is ExecutionStatus.SUCCEEDED, result
    assert world.versions() == dict.fromkeys(ALL, "v2")
    assert [t["service"] for t in result.output["targets"]] == ["menu"]
    assert [s["service"] for s in result.output["skipped"]] == ["gateway", "orders", "db-api"]
    assert world.runtimes["dev"].started[-1].rollout_id == "r1:rollback:menu:1"
    assert store.locks.get("dev") is None
    assert [b["text"].split("\n")[0] for b in hook.bodies][-2:] == [
        "dev: rollback started (r1)",
        "dev: rollback succeeded after 4s (r1)",
    ]


def test_a_stopped_deployment_is_undone_for_the_services_it_touched(store: Store, fleet: Fleet) -> None:
    async def scenario() -> tuple[ExecutionResult, RunbookWorld, dict[str, Any]]:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        runtime = world.runtimes["dev"]
        runtime.behave("orders", "v3", Behaviour(ready_after_ms=30_000))  # a slow starter
        handle = world.start("deploy", {"environment": "dev", "version": "v3"}, name="d2")
        while "d2:orders:2" not in runtime.rollouts:
            await world.clock.sleep(1)
        handle.stop("fleetops.Stopped", "stopped by ana")
        await handle.result()
        in_flight = {"orders": runtime.describe_rollout("d2:orders:2").status}
        release_lock(store, "dev", owner="d2")
        result = await world.run("rollback", {"environment": "dev", "stopped_execution": "d2"}, name="r1")
        in_flight["after"] = runtime.describe_rollout("d2:orders:2").status
        return result, world, in_flight

    result, world, in_flight = asyncio.run(scenario())
    assert result.status is ExecutionStatus.SUCCEEDED, result
    assert in_flight == {"orders": "InProgress", "after": "Cancelled"}
    assert [t["service"] for t in result.output["targets"]] == ["orders", "menu", "db-api"]
    assert world.versions() == dict.fromkeys(ALL, "v2")
    assert {r.service: str(r.status) for r in store.releases.list(execution_id="d2")} == {
        "db-api": "rolled_back",
        "menu": "rolled_back",
        "orders": "rolled_back",
        "gateway": "rolled_back",
    }
    assert store.locks.get("dev") is None


def test_a_deploy_service_call_still_running_after_the_stop_starts_nothing(
    store: Store, fleet: Fleet
) -> None:
    # orders' deploy-service call is held in its thread across the stop and the whole rollback,
    # then goes on: its rollout was fenced when the rollback planned, so it starts nothing.
    async def scenario() -> tuple[ExecutionResult, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        held = world.hold("fleetops:deploy-service", "orders")
        handle = world.start("deploy", {"environment": "dev", "version": "v3"}, name="d2")
        await held.reached()
        handle.stop("fleetops.Stopped", "stopped by ana")
        await handle.result()
        release_lock(store, "dev", owner="d2")
        result = await world.run("rollback", {"environment": "dev", "stopped_execution": "d2"}, name="r1")
        await held.release()
        await world.clock.sleep(120)  # a rollout started now would have ended by then
        return result, world

    result, world = asyncio.run(scenario())
    runtime = world.runtimes["dev"]
    assert result.status is ExecutionStatus.SUCCEEDED, result
    assert [t["service"] for t in result.output["targets"]] == ["menu", "db-api"]
    started = [r.rollout_id for r in runtime.started if not r.rollout_id.startswith("d1:")]
    # db-api and menu (wave 0) start in parallel, in either order.
    assert sorted(started[:2]) == ["d2:db-api:2", "d2:menu:2"]
    # Both in wave 0: rolled back at once, in either order.
    assert sorted(started[2:]) == ["r1:rollback:db-api:1", "r1:rollback:menu:1"]
    fence = runtime.describe_rollout("d2:orders:2")
    assert (fence.status, fence.fenced) == ("Cancelled", True)
    assert world.versions() == dict.fromkeys(ALL, "v2")


def test_a_stopped_rollout_is_rolled_back_in_place_where_the_provider_can(store: Store, fleet: Fleet) -> None:
    # As on an aws Auto Scaling group: RollbackInstanceRefresh, not a cancel then another rollout.
    async def scenario() -> tuple[ExecutionResult, RunbookWorld, list[str]]:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        runtime = world.runtimes["dev"]
        runtime.in_place_rollback = True
        runtime.behave("orders", "v3", Behaviour(ready_after_ms=30_000))
        handle = world.start("deploy", {"environment": "dev", "version": "v3"}, name="d2")
        while "d2:orders:2" not in runtime.rollouts:
            await world.clock.sleep(1)
        handle.stop("fleetops.Stopped", "stopped by ana")
        await handle.result()
        release_lock(store, "dev", owner="d2")
        rollback = world.start("rollback", {"environment": "dev", "stopped_execution": "d2"}, name="r1")
        result = await rollback.result()
        phases = [
            str(json.loads(e.details["output"])["phase"])
            for e in rollback.history()
            if e.type == "TaskSucceeded" and "phase" in e.details.get("output", "")
        ]
        return result, world, phases

    result, world, phases = asyncio.run(scenario())
    runtime = world.runtimes["dev"]
    assert result.status is ExecutionStatus.SUCCEEDED, result
    assert runtime.describe_rollout("d2:orders:2").status == "RollbackSuccessful"
    assert [r.rollout_id for r in runtime.started if r.service == "orders"] == ["d1:orders:1", "d2:orders:2"]
    assert "rolled back in place (RollbackInstanceRefresh) to v2" in phases
    assert world.versions() == dict.fromkeys(ALL, "v2")
