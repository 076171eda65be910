"""InMemoryFleetRuntime: rollouts in virtual time over FakeFleets, run to their end at once or,
with a loop, concurrently in the clock's time."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from fleetops.errors import BadInput, Refused
from fleetops.runbooks.ports import RolloutRequest
from fleetops.spec.loader import load_fleet
from fleetops.testing.fake_clock import START, FakeClock
from fleetops.testing.fake_fleet import Behaviour
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES


@pytest.fixture
def runtime() -> InMemoryFleetRuntime:
    bad = {"v3": Behaviour(unhealthy_after_ms=5_000)}
    return InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev", behaviours=bad)


def test_a_rollout_runs_to_its_end_in_virtual_time(runtime: InMemoryFleetRuntime) -> None:
    view = runtime.start_rollout(RolloutRequest("d-1:menu:2", "dev", "menu", "v2", 2))
    assert (view.status, view.percentage_complete, view.terminal) == ("Successful", 100, True)
    assert runtime.current_versions()["menu"] == "v2"
    menu = next(s for s in runtime.status().services if s.name == "menu")
    assert (menu.version, menu.release_number, menu.versions) == ("v2", 2, ("v2",))


def test_the_same_rollout_id_returns_the_same_rollout(runtime: InMemoryFleetRuntime) -> None:
    request = RolloutRequest("d-1:menu:2", "dev", "menu", "v2", 2)
    first = runtime.start_rollout(request)
    assert runtime.start_rollout(request) == first
    assert runtime.started == [request]


def test_a_release_failing_health_rolls_back(runtime: InMemoryFleetRuntime) -> None:
    view = runtime.start_rollout(RolloutRequest("d-2:orders:3", "dev", "orders", "v3", 3))
    assert view.status == "RollbackSuccessful"
    assert view.failure is not None and "became unhealthy" in view.failure
    assert runtime.current_versions()["orders"] == "v1"


def test_held_rollouts_wait_and_cancel(runtime: InMemoryFleetRuntime) -> None:
    runtime.hold = True
    held = runtime.start_rollout(RolloutRequest("d-3:menu:2", "dev", "menu", "v2", 2))
    assert (held.status, runtime.describe_rollout("d-3:menu:2").status) == ("Pending", "Pending")
    assert runtime.cancel_rollout("d-3:menu:2").status == "Cancelled"
    runtime.start_rollout(RolloutRequest("d-4:menu:2", "dev", "menu", "v2", 2))
    assert [v.status for v in runtime.run_held()] == ["Successful"]
    with pytest.raises(Refused, match="rollout d-4:menu:2 is Successful; it cannot be cancelled"):
        runtime.cancel_rollout("d-4:menu:2")


def test_scale_and_its_bounds(runtime: InMemoryFleetRuntime) -> None:
    runtime.scale("menu", 3)
    assert len(runtime.fleets["menu"].live()) == 3
    with pytest.raises(BadInput, match=r"outside its instances min..max \(1..3\)"):
        runtime.scale("menu", 4)


def test_unknown_service_and_environment_are_bad_input(runtime: InMemoryFleetRuntime) -> None:
    with pytest.raises(BadInput, match="unknown service 'nope'"):
        runtime.start_rollout(RolloutRequest("x", "dev", "nope", "v2", 1))
    with pytest.raises(BadInput, match="this runtime runs environment 'dev', not 'stage'"):
        runtime.start_rollout(RolloutRequest("x", "stage", "menu", "v2", 1))


def test_with_a_loop_rollouts_run_concurrently_in_the_clocks_time() -> None:
    async def scenario() -> list[tuple[str, str, datetime, datetime | None]]:
        clock = FakeClock(START, auto_advance=True)
        loop = asyncio.get_running_loop()
        runtime = InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev", clock=clock, loop=loop)
        # Time holds still until both started: while the loop waits on the starting thread,
        # auto-advance would otherwise run menu's rollout ahead before auth's starts.
        with clock.busy():
            for service in ("menu", "auth"):
                request = RolloutRequest(f"d-5:{service}:2", "dev", service, "v2", 2)
                view = await asyncio.to_thread(runtime.start_rollout, request)
                assert not view.terminal
        await asyncio.gather(*(r.task for r in runtime.rollouts.values() if r.task is not None))
        views = [runtime.describe_rollout(f"d-5:{service}:2") for service in ("menu", "auth")]
        return [(v.service, v.status, v.started_at, v.ended_at) for v in views]

    ended = START + timedelta(seconds=9)  # one rollout's length: they ran side by side
    assert asyncio.run(scenario()) == [
        ("menu", "Successful", START, ended),
        ("auth", "Successful", START, ended),
    ]
