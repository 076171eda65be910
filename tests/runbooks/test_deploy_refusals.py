"""A deployment that may not run ends before any rollout: lock held, maintenance, blocked, bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from fleetops.engine import ExecutionResult, ExecutionStatus
from fleetops.ops.maintenance import block_services, start_maintenance
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.runbooks import T0, RunbookWorld


def _deploy(store: Store, fleet: Fleet, input: dict[str, Any]) -> tuple[ExecutionResult, RunbookWorld]:
    async def scenario() -> tuple[ExecutionResult, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        return await world.run("deploy", input, name="d1"), world

    return asyncio.run(scenario())


def test_a_held_lock_refuses_naming_the_holder(store: Store, fleet: Fleet) -> None:
    store.locks.acquire(
        "dev", owner="other-deploy", reason="deploy v9 by ana", lease=timedelta(hours=1), now=T0
    )
    result, world = _deploy(store, fleet, {"environment": "dev", "version": "v2"})
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "fleetops.Refused")
    assert result.cause is not None
    assert result.cause.startswith("environment 'dev' is locked by 'other-deploy' (reason: deploy v9 by ana)")
    assert world.runtimes["dev"].started == []
    assert store.releases.list() == []
    assert store.locks.get("dev").owner == "other-deploy"  # type: ignore[union-attr]


def test_maintenance_refuses(store: Store, fleet: Fleet) -> None:
    start_maintenance(store, environment="dev", reason="db upgrade", by="ana", clock=FakeClock(T0))
    result, world = _deploy(store, fleet, {"environment": "dev", "version": "v2"})
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "fleetops.Refused")
    assert result.cause is not None and "maintenance of environment 'dev' by ana" in result.cause
    assert world.runtimes["dev"].started == []
    assert store.locks.get("dev") is None


def test_a_blocked_service_refuses(store: Store, fleet: Fleet) -> None:
    block_services(store, ["orders"], environment=None, reason="incident 42", by="bo", clock=FakeClock(T0))
    result, _world = _deploy(store, fleet, {"environment": "dev", "version": "v2"})
    assert result.error == "fleetops.Refused"
    assert result.cause is not None and "service 'orders' is blocked everywhere by bo" in result.cause


def test_unknown_services_are_bad_input(store: Store, fleet: Fleet) -> None:
    result, _world = _deploy(
        store, fleet, {"environment": "dev", "version": "v2", "services": ["nope", "zip"]}
    )
    assert (result.error, result.cause) == (
        "fleetops.BadInput",
        "unknown service 'nope' (the fleet has: db-api, gateway, menu, orders); "
        "unknown service 'zip' (the fleet has: db-api, gateway, menu, orders)",
    )


def test_a_subset_of_services_deploys_only_those_in_their_waves(store: Store, fleet: Fleet) -> None:
    result, world = _deploy(
        store, fleet, {"environment": "dev", "version": "v2", "services": ["gateway", "menu"]}
    )
    assert result.status is ExecutionStatus.SUCCEEDED
    assert [(r.service, r.version) for r in world.runtimes["dev"].started] == [
        ("menu", "v2"),
        ("gateway", "v2"),
    ]
    assert world.versions() == {"db-api": "v1", "gateway": "v2", "menu": "v2", "orders": "v1"}


def test_an_alarm_fails_the_rollout_and_rolls_back(store: Store, fleet: Fleet) -> None:
    async def scenario() -> tuple[ExecutionResult, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        world.runtimes["dev"].set_alarm("gateway", "high-5xx", "ALARM", at=T0 + timedelta(seconds=21))
        return await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d1"), world

    result, _world = asyncio.run(scenario())
    assert result.error == "fleetops.RolloutFailed"
    assert result.cause is not None and result.cause.startswith("gateway v2 (release #1): Failed:")
    assert "high-5xx" in result.cause
    # No release was ever verified: nothing to go back to, so the services stay where they are
    # and every release is marked (failed for gateway, rolled back for the rest).
    assert {r.service: str(r.status) for r in store.releases.list()} == {
        "db-api": "rolled_back",
        "menu": "rolled_back",
        "orders": "rolled_back",
        "gateway": "failed",
    }


def test_of_two_concurrent_deployments_one_is_refused(store_url: str, fleet: Fleet, tmp_path: Path) -> None:
    async def scenario(store: Store) -> list[ExecutionResult]:
        world = RunbookWorld.make(store, fleet)
        first = world.start("deploy", {"environment": "dev", "version": "v2"}, name="d1")
        second = world.start("deploy", {"environment": "dev", "version": "v3"}, name="d2")
        return [await first.result(), await second.result()]

    with Store.open(store_url, tmp_path) as store:
        results = asyncio.run(scenario(store))
        assert sorted(r.status.value for r in results) == ["FAILED", "SUCCEEDED"]
        refused = next(r for r in results if r.status is ExecutionStatus.FAILED)
        winner = "d1" if results[0] is not refused else "d2"
        assert refused.error == "fleetops.Refused"
        assert refused.cause is not None and f"is locked by {winner!r}" in refused.cause
        assert store.locks.get("dev") is None
