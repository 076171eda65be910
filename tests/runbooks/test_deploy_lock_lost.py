"""A deployment whose lock was force-released or taken over never changes the fleet or the
releases afterwards (issue 13's v4/v5 case: v4's late rollback undid v5)."""

from __future__ import annotations

import asyncio

from fleetops.engine import ExecutionResult, ExecutionStatus
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.testing.runbooks import RunbookWorld, hold_calls


def test_a_deployment_that_lost_its_lock_does_not_roll_back_the_one_after_it(
    store: Store, fleet: Fleet
) -> None:
    # d4 rolls menu to v4; while its look at the rollout is held, the lock is force-released
    # and d5 puts menu on v5 (verified). d4's next look finds the lock gone: it ends failed
    # (LockLost) without a rollback rollout and without marking its release.
    async def scenario() -> tuple[ExecutionResult, ExecutionResult, RunbookWorld]:
        world = RunbookWorld.make(store, fleet)
        await world.run("deploy", {"environment": "dev", "version": "v2"}, name="d2")
        held = hold_calls(
            world.registry,
            "fleetops:deploy-check-health",
            when=lambda item: item.get("execution") == "d4",
        )
        d4 = world.start("deploy", {"environment": "dev", "version": "v4", "services": ["menu"]}, name="d4")
        await held.reached()
        store.locks.force_release("dev")
        # d4's first look can come while its rollout still runs; v5 would be refused until it ends
        for _ in range(600):
            if world.runtimes["dev"].describe_rollout("d4:menu:2").terminal:
                break
            await world.clock.advance(1)
        d5 = world.start("deploy", {"environment": "dev", "version": "v5", "services": ["menu"]}, name="d5")
        ended = asyncio.ensure_future(d5.result())
        for _ in range(600):  # a held handler holds auto-advance: time moves by hand meanwhile
            if ended.done():
                break
            await world.clock.advance(1)
        fifth = await ended
        await held.release()
        return await d4.result(), fifth, world

    fourth, fifth, world = asyncio.run(scenario())
    assert (fourth.status, fourth.error) == (ExecutionStatus.FAILED, "fleetops.LockLost")
    assert fifth.status is ExecutionStatus.SUCCEEDED
    assert [r.rollout_id for r in world.runtimes["dev"].started if r.rollout_id.startswith("d4:")] == [
        "d4:menu:2"
    ]
    assert world.versions()["menu"] == "v5"
    assert [(r.version, str(r.status)) for r in store.releases.list(environment="dev", service="menu")] == [
        ("v5", "verified"),
        ("v4", "pinned"),
        ("v2", "verified"),
    ]
    assert store.locks.get("dev") is None
