"""The deploy runbook's smoke gate: a failing request after a Successful rollout rolls back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fleetops.engine import ExecutionStatus
from fleetops.runbooks.handlers.rollouts import succeeded
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.testing.receivers import WebhookReceiver, webhook_receiver
from fleetops.testing.runbooks import RunbookWorld

FLEET = """
name: shop
environments:
  dev: {provider: local}
services:
  menu: &svc
    run: {command: "{python} services/x.py"}
    instances: {min: 1, desired: 2, max: 3}
    health: {path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2}
    deploy: {min_healthy_percent: 100, max_healthy_percent: 150, warmup: 1s, deregistration_delay: 1s}
  orders:
    <<: *svc
    depends_on: [menu]
    deploy:
      min_healthy_percent: 100
      max_healthy_percent: 150
      warmup: 1s
      deregistration_delay: 1s
      smoke: {path: /orders, expect: "200-299", attempts: 2}
"""


def _look_again(world: RunbookWorld) -> dict[str, Any]:
    # What the handler returns once orders' rollout is Successful: progress shows the smoke result.
    rollout = world.runtimes["dev"].started[1]
    view = world.runtimes["dev"].describe_rollout(rollout.rollout_id)
    return succeeded(world.deps, {"service": "orders", "environment": "dev"}, view)


def _deploy_twice(store: Store, web: WebhookReceiver) -> tuple[Any, Any, RunbookWorld]:
    async def scenario() -> tuple[Any, Any, RunbookWorld]:
        world = RunbookWorld.make(store, load_fleet_text(FLEET))
        world.runtimes["dev"].endpoints["orders"] = web.base_url
        first = await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        look = await asyncio.to_thread(_look_again, world)
        assert look["done"] is True
        assert look["smoke"] == {
            "path": "/orders",
            "url": f"{web.base_url}/orders",
            "expect": "200-299",
            "attempts": ["200"],
            "passed": True,
        }
        web.statuses[:] = [503]
        second = await world.run("deploy", {"environment": "dev", "version": "v3"}, name="d2")
        return first, second, world

    return asyncio.run(scenario())


def test_a_failing_smoke_request_rolls_the_deployment_back(store: Store) -> None:
    with webhook_receiver(statuses=[200]) as web:
        first, second, world = _deploy_twice(store, web)
        gets = list(web.gets)
    assert first.status is ExecutionStatus.SUCCEEDED, first
    assert gets == ["/orders"] * 4  # the deployment's pass and a look again for v2; v3's two tries
    assert second.status is ExecutionStatus.FAILED
    assert second.error == "fleetops.RolloutFailed"
    assert second.cause == (
        "smoke request to orders /orders got 503 (2 tries), expected 200-299 "
        "(after v3, release #2, rolled out)"
    )
    assert world.versions() == {"menu": "v2", "orders": "v2"}
    assert [(r.service, r.version) for r in world.runtimes["dev"].started] == [
        ("menu", "v2"),
        ("orders", "v2"),
        ("menu", "v3"),
        ("orders", "v3"),
        ("orders", "v2"),
        ("menu", "v2"),
    ]
    releases = {r.service: str(r.status) for r in store.releases.list(execution_id="d2")}
    assert releases == {"menu": "rolled_back", "orders": "failed"}


def test_a_failing_smoke_request_names_its_service_in_the_task_failure(store: Store) -> None:
    async def scenario() -> list[Any]:
        world = RunbookWorld.make(store, load_fleet_text(FLEET))
        world.runtimes["dev"].endpoints["orders"] = web.base_url
        handle = world.start("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        await handle.result()
        return [e.details for e in handle.history() if e.type == "TaskFailed"]

    with webhook_receiver(statuses=[503]) as web:
        failed = asyncio.run(scenario())
    assert [(f["error"], json.loads(f["cause"])) for f in failed] == [
        (
            "fleetops.RolloutFailed",
            {
                "service": "orders",
                "message": "smoke request to orders /orders got 503 (2 tries), expected 200-299 "
                "(after v2, release #1, rolled out)",
            },
        )
    ]
