"""The deploy runbook end to end: real engine, fake clock, in-memory rollouts over FakeFleet."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fleetops.control.deployments import deployment_plan
from fleetops.engine import ExecutionStatus, TaskContext, TaskFailure
from fleetops.runbooks.handlers.rollouts import check_health
from fleetops.spec.fleet import Fleet
from fleetops.spec.plan import plan
from fleetops.store import Store
from fleetops.testing.fake_fleet import Behaviour
from fleetops.testing.receivers import WebhookReceiver
from fleetops.testing.runbooks import RunbookWorld

ALL = ["db-api", "gateway", "menu", "orders"]


def _started(world: RunbookWorld) -> list[tuple[str, str]]:
    return [(r.service, r.version) for r in world.runtimes["dev"].started]


def _statuses(store: Store, execution: str) -> dict[str, str]:
    return {r.service: str(r.status) for r in store.releases.list(execution_id=execution)}


def test_deploy_rolls_every_service_out_in_dependency_waves(store: Store, fleet: Fleet) -> None:
    async def scenario() -> tuple[Any, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        result = await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        return result, world

    result, world = asyncio.run(scenario())
    assert result.status is ExecutionStatus.SUCCEEDED, result
    assert world.versions() == dict.fromkeys(ALL, "v2")
    started = _started(world)
    # db-api and menu (wave 0) start in parallel, in either order; then orders, then gateway.
    assert sorted(started[:2]) == [("db-api", "v2"), ("menu", "v2")]
    assert started[2:] == [("orders", "v2"), ("gateway", "v2")]
    assert _statuses(store, "d1") == dict.fromkeys(ALL, "verified")
    assert store.locks.get("dev") is None
    assert result.output["verified"][0] == {"service": "db-api", "release": 1, "version": "v2"}


def test_services_of_a_wave_roll_out_in_parallel(store: Store, fleet: Fleet) -> None:
    async def scenario() -> RunbookWorld:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        return world

    world = asyncio.run(scenario())
    rollouts = {r.request.service: r.refresh for r in world.runtimes["dev"].rollouts.values()}
    spans = {s: (r.start_time, r.end_time) for s, r in rollouts.items()}
    assert spans["db-api"][0] == spans["menu"][0]
    assert spans["orders"][0] is not None and spans["orders"][0] >= max(spans["db-api"][1], spans["menu"][1])
    assert spans["gateway"][0] >= spans["orders"][1]


def test_a_health_failure_in_a_later_wave_rolls_back_every_wave_in_reverse(
    store: Store, fleet: Fleet, hook: WebhookReceiver
) -> None:
    async def scenario() -> tuple[Any, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        first = await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        assert first.status is ExecutionStatus.SUCCEEDED
        world.runtimes["dev"].behave("orders", "v3", Behaviour(unhealthy_after_ms=3_000))
        result = await world.run("deploy", {"environment": "dev", "version": "v3"}, name="d2")
        return result, world

    result, world = asyncio.run(scenario())
    assert result.status is ExecutionStatus.FAILED
    assert result.error == "fleetops.RolloutFailed"
    assert result.cause is not None and result.cause.startswith("orders v3 (release #2): Failed:")
    assert world.versions() == dict.fromkeys(ALL, "v2")
    started = _started(world)
    # db-api and menu (wave 0) start in parallel, in either order.
    assert sorted(started[4:6]) == [("db-api", "v3"), ("menu", "v3")]
    assert started[6:8] == [("orders", "v3"), ("orders", "v2")]
    # Rolled back wave by wave, last first: orders, then db-api and menu at once, in either order.
    assert sorted(started[8:]) == [("db-api", "v2"), ("menu", "v2")]
    rollbacks = [r.rollout_id for r in world.runtimes["dev"].started[7:]]
    assert rollbacks[0] == "d2:rollback:orders:1"
    assert sorted(rollbacks[1:]) == ["d2:rollback:db-api:1", "d2:rollback:menu:1"]
    assert _statuses(store, "d2") == {
        "db-api": "rolled_back",
        "menu": "rolled_back",
        "orders": "failed",
        "gateway": "rolled_back",
    }
    assert store.releases.last_verified("dev", "orders").version == "v2"  # type: ignore[union-attr]
    assert store.locks.get("dev") is None
    events = [body["text"].split("\n")[0] for body in hook.bodies]
    assert events == [
        "dev: deploy started (d1)",
        "dev: deploy succeeded after 27s (d1)",
        "dev: deploy started (d2)",
        "dev: deploy was rolled back after 21s (d2)",
        "dev: deploy failed after 21s (d2)",
    ]


def test_services_already_on_the_version_with_the_same_settings_are_skipped(
    store: Store, fleet: Fleet
) -> None:
    async def scenario() -> tuple[Any, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2", "services": ["menu"]}, name="d1")
        result = await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d2")
        return result, world

    result, world = asyncio.run(scenario())
    assert result.status is ExecutionStatus.SUCCEEDED
    assert _started(world) == [("menu", "v2"), ("db-api", "v2"), ("orders", "v2"), ("gateway", "v2")]
    assert sorted(_statuses(store, "d2")) == ["db-api", "gateway", "orders"]


def test_a_deployment_of_some_services_runs_the_waves_its_plan_shows(store: Store, fleet: Fleet) -> None:
    async def scenario() -> dict[str, Any] | None:
        world = RunbookWorld.make(store, fleet)
        handle = world.start(
            "deploy", {"environment": "dev", "version": "v2", "services": ["gateway", "menu"]}, name="d1"
        )
        await handle.result()
        return deployment_plan(handle.history())

    ran = asyncio.run(scenario())
    assert ran is not None
    shown = plan(fleet, "dev", "v2", ["gateway", "menu"]).waves
    assert [[item["service"] for item in wave] for wave in ran["waves"]] == shown == [["menu"], ["gateway"]]


def test_a_deploy_service_call_still_running_when_its_wave_fails_starts_nothing(
    store: Store, fleet: Fleet
) -> None:
    # db-api fails while menu's deploy-service call (same wave) is held in its thread; the
    # deployment rolls back and ends, then menu's call goes on: its rollout was fenced.
    async def scenario() -> tuple[Any, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        world.runtimes["dev"].behave("db-api", "v3", Behaviour(unhealthy_after_ms=3_000))
        held = world.hold("fleetops:deploy-service", "menu")
        handle = world.start("deploy", {"environment": "dev", "version": "v3"}, name="d2")
        await held.reached()
        ended = asyncio.ensure_future(handle.result())
        for _ in range(600):  # a running handler holds auto-advance: time moves by hand meanwhile
            if ended.done():
                break
            await world.clock.advance(1)
        result = await ended
        await held.release()
        await world.clock.sleep(120)  # a rollout started now would have ended by then
        return result, world

    result, world = asyncio.run(scenario())
    assert result.status is ExecutionStatus.FAILED
    assert _started(world)[4:] == [("db-api", "v3"), ("db-api", "v2")]
    fence = world.runtimes["dev"].describe_rollout("d2:menu:2")
    assert (fence.status, fence.fenced) == ("Cancelled", True)
    assert world.versions() == dict.fromkeys(ALL, "v2")


def test_a_gate_that_names_the_failed_service_marks_its_release_failed(store: Store, fleet: Fleet) -> None:
    # A gate a user added (a canary analysis) fails orders after its rollout succeeded: the
    # cause names the service, so orders' release is the failed one, whatever the message says.
    async def scenario() -> tuple[Any, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")

        def canary(item: dict[str, Any], context: TaskContext) -> dict[str, Any]:
            result = check_health(world.deps, item, context)
            if item["service"] == "orders" and result["done"]:
                cause = {"service": "orders", "message": "canary: p99 latency 2.3s, above 1s"}
                raise TaskFailure("fleetops.RolloutFailed", json.dumps(cause))
            return result

        world.registry.register("fleetops:deploy-check-health", canary)
        return await world.run("deploy", {"environment": "dev", "version": "v3"}, name="d2"), world

    result, world = asyncio.run(scenario())
    assert (result.status, result.error, result.cause) == (
        ExecutionStatus.FAILED,
        "fleetops.RolloutFailed",
        "canary: p99 latency 2.3s, above 1s",
    )
    assert _statuses(store, "d2") == {
        "db-api": "rolled_back",
        "menu": "rolled_back",
        "orders": "failed",
        "gateway": "rolled_back",
    }
    assert world.versions() == dict.fromkeys(ALL, "v2")


def test_the_failure_notification_gives_the_reason_as_text(
    store: Store, fleet: Fleet, hook: WebhookReceiver
) -> None:
    async def scenario() -> None:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        world.runtimes["dev"].behave("orders", "v3", Behaviour(unhealthy_after_ms=3_000))
        await world.run("deploy", {"environment": "dev", "version": "v3"}, name="d2")

    asyncio.run(scenario())
    failed = next(b["text"] for b in hook.bodies if b["text"].startswith("dev: deploy failed"))
    reasons = [line.strip() for line in failed.split("\n") if line.strip().startswith("reason: ")]
    assert len(reasons) == 1
    assert reasons[0].startswith("reason: orders v3 (release #2): Failed: ")
