"""InstanceRefresh replacing a healthy group: batches, bounds, timings, checkpoints, bake, skip."""

from __future__ import annotations

import asyncio

import pytest

from fleetops.errors import BadInput
from fleetops.rollout import (
    InstanceRefresh,
    MillisecondClock,
    RefreshOptions,
    RefreshPreferences,
    RefreshStatus,
    capacity_window,
    plan_refresh,
)
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fake_fleet import Behaviour, FakeFleet
from fleetops.testing.rollout import TEST_CHECK, MakeRefresh

MINUTE = 60_000


def lifecycle(fleet: FakeFleet) -> list[tuple[int, str, str]]:
    """Launch, register, deregister and terminate calls, in a stable order."""
    return sorted(fleet.ops("launch", "register", "deregister", "terminate"))


def test_terminate_first_replaces_one_at_a_time_with_drain_then_launch(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    refresh = make_refresh(3, RefreshPreferences(instance_warmup_ms=MINUTE), deregistration_delay_ms=30_000)
    assert fake.run(refresh.run()) is RefreshStatus.SUCCESSFUL
    assert lifecycle(fleet) == [
        (0, "deregister", "i-0001"),
        (30_000, "launch", "i-0004"),
        (30_000, "register", "i-0004"),
        (30_000, "terminate", "i-0001"),
        (90_000, "deregister", "i-0002"),
        (120_000, "launch", "i-0005"),
        (120_000, "register", "i-0005"),
        (120_000, "terminate", "i-0002"),
        (180_000, "deregister", "i-0003"),
        (210_000, "launch", "i-0006"),
        (210_000, "register", "i-0006"),
        (210_000, "terminate", "i-0003"),
    ]
    assert (refresh.start_time, refresh.end_time) == (0, 270_000)
    assert [i.release for i in refresh.instances] == ["v2", "v2", "v2"]


def test_terminate_happens_after_launch_registration_only_within_one_step(
    fleet: FakeFleet, fake: FakeClock, make_refresh: MakeRefresh
) -> None:
    """The old instance is terminated before its replacement launches (terminate first)."""
    fake.run(make_refresh(1, RefreshPreferences(), deregistration_delay_ms=5_000).run())
    assert fleet.ops("terminate", "launch") == [(5_000, "terminate", "i-0001"), (5_000, "launch", "i-0002")]


def test_max_above_100_launches_new_instances_before_draining_old_ones(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    prefs = RefreshPreferences(
        min_healthy_percentage=100, max_healthy_percentage=200, instance_warmup_ms=MINUTE
    )
    fake.run(make_refresh(2, prefs, deregistration_delay_ms=10_000).run())
    assert lifecycle(fleet) == [
        (0, "launch", "i-0003"),
        (0, "launch", "i-0004"),
        (0, "register", "i-0003"),
        (0, "register", "i-0004"),
        (60_000, "deregister", "i-0001"),
        (60_000, "deregister", "i-0002"),
        (70_000, "terminate", "i-0001"),
        (70_000, "terminate", "i-0002"),
    ]
    assert max(s.running for s in fleet.samples) == 4


@pytest.mark.parametrize(
    "case",
    [(10, 90, None), (10, 80, 120), (6, 50, 150), (4, 100, 200), (7, 70, 100), (5, 0, 100), (20, 90, 110)],
)
def test_capacity_stays_within_min_and_max_at_every_step(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh, case: tuple[int, int, int | None]
) -> None:
    desired, min_pct, max_pct = case
    prefs = RefreshPreferences(
        min_healthy_percentage=min_pct, max_healthy_percentage=max_pct, instance_warmup_ms=30_000
    )
    window = capacity_window(desired, prefs)
    assert (
        fake.run(make_refresh(desired, prefs, deregistration_delay_ms=20_000).run())
        is RefreshStatus.SUCCESSFUL
    )
    assert fleet.samples
    for sample in fleet.samples:
        assert sample.in_service >= window.min_healthy, sample
        assert sample.running <= window.max_total, sample


def test_when_no_replacement_fits_an_explicit_max_exceeds_desired_by_one(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    """AWS: with MaxHealthyPercentage set, it launches before terminating, exceeding desired."""
    prefs = RefreshPreferences(min_healthy_percentage=100, max_healthy_percentage=100)
    fake.run(make_refresh(3, prefs).run())
    assert max(s.running for s in fleet.samples) == 4
    assert min(s.in_service for s in fleet.samples) == 3


def test_when_no_replacement_fits_an_omitted_max_drops_below_min_by_one(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    """AWS: with MaxHealthyPercentage omitted, it terminates and launches together."""
    fake.run(make_refresh(5, RefreshPreferences(min_healthy_percentage=90)).run())
    assert max(s.running for s in fleet.samples) == 5
    assert min(s.in_service for s in fleet.samples) == 4


def test_an_instance_counts_only_after_warmup_even_if_healthy_sooner(
    fake: FakeClock, make_refresh: MakeRefresh
) -> None:
    refresh = make_refresh(1, RefreshPreferences(instance_warmup_ms=45_000))
    assert fake.run(refresh.run()) is RefreshStatus.SUCCESSFUL
    assert refresh.end_time == 45_000


def test_an_instance_counts_only_once_healthy_even_after_warmup(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    """Ready after 25 s; probes every 10 s; a slow starter recovers within its grace period."""
    fleet.behaviours["v2"] = Behaviour(ready_after_ms=25_000)
    refresh = make_refresh(
        1, RefreshPreferences(instance_warmup_ms=40_000), health_check_grace_period_ms=60_000
    )
    assert fake.run(refresh.run()) is RefreshStatus.SUCCESSFUL
    # probes at 0, 10, 20 fail (unhealthy), 30, 40, 50 pass: healthy again after 3 successes
    assert refresh.end_time == 50_000


def test_an_instance_still_unhealthy_when_its_grace_period_ends_is_replaced(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.behaviours["v2"] = Behaviour(ready_after_ms=25_000)
    refresh = make_refresh(1, RefreshPreferences(instance_warmup_ms=40_000), failure_timeout_ms=MINUTE)
    fake.run(refresh.run())
    # at 40 s the first instance has passed only 2 of 3 checks: replaced; so is every later one
    assert [t for t, _, _ in fleet.ops("launch")][:3] == [0, 40_000, 80_000]


def test_percentage_complete_counts_only_warmed_up_instances(
    fake: FakeClock, clock: MillisecondClock, make_refresh: MakeRefresh
) -> None:
    refresh = make_refresh(4, RefreshPreferences(min_healthy_percentage=50, instance_warmup_ms=MINUTE))
    seen: list[tuple[int, int, str]] = []

    async def scenario() -> None:
        task = asyncio.ensure_future(refresh.run())
        for at in (1_000, 59_000, 61_000, 121_000):
            await clock.sleep(at - clock.now())
            seen.append((refresh.percentage_complete, refresh.instances_to_update, refresh.status.value))
        await task

    fake.run(scenario())
    assert seen == [(0, 4, "InProgress"), (0, 4, "InProgress"), (50, 2, "InProgress"), (100, 0, "Successful")]


def test_checkpoints_follow_the_aws_documented_timeline(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    """AWS: 10 instances, [20,50], 15 min delay, min 80 %: 2 at 0:00, 2 at 0:25, 1 at 0:35, done 0:45."""
    prefs = RefreshPreferences(
        min_healthy_percentage=80,
        instance_warmup_ms=10 * MINUTE,
        checkpoint_percentages=(20, 50),
        checkpoint_delay_ms=15 * MINUTE,
    )
    refresh = make_refresh(10, prefs)
    assert fake.run(refresh.run()) is RefreshStatus.SUCCESSFUL
    assert [t for t, _, _ in fleet.ops("launch")] == [0, 0, 25 * MINUTE, 25 * MINUTE, 35 * MINUTE]
    assert refresh.end_time == 45 * MINUTE
    assert (refresh.percentage_complete, refresh.last_checkpoint) == (50, 50)
    assert sorted(i.release for i in refresh.instances) == ["v1"] * 5 + ["v2"] * 5


def test_small_group_passes_two_checkpoints_at_once_and_pauses_once(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    """AWS: 2 instances, [10,40,100]: one replacement is 50 %, past 10 and 40; one notification."""
    prefs = RefreshPreferences(
        min_healthy_percentage=50, checkpoint_percentages=(10, 40, 100), checkpoint_delay_ms=MINUTE
    )
    refresh = make_refresh(2, prefs)
    fake.run(refresh.run())
    assert [t for t, _, _ in fleet.ops("launch")] == [0, MINUTE]
    assert [e.message for e in refresh.events if "checkpoint" in e.message] == [
        "checkpoint 40% reached (50% updated)",
        "checkpoint 100% reached (100% updated)",
    ]


def test_bake_time_waits_after_the_last_replacement_in_status_baking(
    fake: FakeClock, clock: MillisecondClock, make_refresh: MakeRefresh
) -> None:
    refresh = make_refresh(1, RefreshPreferences(instance_warmup_ms=10_000, bake_time_ms=5 * MINUTE))
    seen: list[str] = []

    async def scenario() -> None:
        task = asyncio.ensure_future(refresh.run())
        await clock.sleep(11_000)
        seen.append(refresh.status.value)
        await task

    fake.run(scenario())
    assert seen == ["Baking"]
    assert (refresh.status, refresh.end_time) == (RefreshStatus.SUCCESSFUL, 10_000 + 5 * MINUTE)


def test_skip_matching_leaves_instances_already_on_the_target_release(
    fake: FakeClock, clock: MillisecondClock, fleet: FakeFleet
) -> None:
    instances = fleet.seed("v2", 2) + fleet.seed("v1", 2)
    refresh = InstanceRefresh(
        port=fleet,
        clock=clock,
        instances=instances,
        target_release="v2",
        preferences=RefreshPreferences(min_healthy_percentage=75, skip_matching=True),
        health_check=TEST_CHECK,
        options=RefreshOptions(deregistration_delay_ms=0),
    )
    assert refresh.percentage_complete == 50
    fake.run(refresh.run())
    assert [target for _, _, target in fleet.ops("deregister")] == ["i-0003", "i-0004"]


def test_without_skip_matching_every_instance_is_replaced(
    fake: FakeClock, clock: MillisecondClock, fleet: FakeFleet
) -> None:
    instances = fleet.seed("v2", 2)
    refresh = InstanceRefresh(
        port=fleet,
        clock=clock,
        instances=instances,
        target_release="v2",
        preferences=RefreshPreferences(min_healthy_percentage=50),
        health_check=TEST_CHECK,
        options=RefreshOptions(deregistration_delay_ms=0),
    )
    fake.run(refresh.run())
    assert [target for _, _, target in fleet.ops("deregister")] == ["i-0001", "i-0002"]


def test_drain_precedes_terminate_by_exactly_the_deregistration_delay(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    prefs = RefreshPreferences(
        min_healthy_percentage=50, max_healthy_percentage=150, instance_warmup_ms=7_000
    )
    fake.run(make_refresh(6, prefs, deregistration_delay_ms=45_000).run())
    drained = {target: t for t, _, target in fleet.ops("deregister")}
    terminated = {target: t for t, _, target in fleet.ops("terminate")}
    assert sorted(drained) == [f"i-000{n}" for n in range(1, 7)]
    assert {target: terminated[target] - t for target, t in drained.items()} == dict.fromkeys(drained, 45_000)


@pytest.mark.parametrize(
    "prefs",
    [
        RefreshPreferences(instance_warmup_ms=30_000),
        RefreshPreferences(min_healthy_percentage=50, max_healthy_percentage=120, instance_warmup_ms=5_000),
        RefreshPreferences(
            min_healthy_percentage=80,
            instance_warmup_ms=20_000,
            checkpoint_percentages=(25, 60, 100),
            checkpoint_delay_ms=100_000,
            bake_time_ms=50_000,
        ),
    ],
)
def test_the_plan_predicts_batches_and_duration_of_a_healthy_refresh(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh, prefs: RefreshPreferences
) -> None:
    plan = plan_refresh(desired=10, preferences=prefs, deregistration_delay_ms=15_000)
    refresh = make_refresh(10, prefs, deregistration_delay_ms=15_000)
    fake.run(refresh.run())
    batches = [e.message for e in refresh.events if e.message.startswith("batch:")]
    assert len(batches) == len(plan.batches)
    assert refresh.end_time == plan.min_duration_ms


def test_several_refreshes_run_concurrently_on_one_clock(fake: FakeClock, clock: MillisecondClock) -> None:
    check = TEST_CHECK
    web, api = FakeFleet(clock), FakeFleet(clock)
    refreshes = [
        InstanceRefresh(
            port=fleet,
            clock=clock,
            instances=fleet.seed("v1", 2),
            target_release="v2",
            preferences=RefreshPreferences(min_healthy_percentage=50, instance_warmup_ms=warmup),
            health_check=check,
            options=RefreshOptions(deregistration_delay_ms=0),
        )
        for fleet, warmup in ((web, 30_000), (api, 70_000))
    ]

    async def both() -> list[RefreshStatus]:
        return list(await asyncio.gather(*(r.run() for r in refreshes)))

    assert fake.run(both()) == [RefreshStatus.SUCCESSFUL] * 2
    assert [r.end_time for r in refreshes] == [60_000, 140_000]


def test_describe_speaks_the_aws_shape(fake: FakeClock, make_refresh: MakeRefresh) -> None:
    refresh = make_refresh(2, RefreshPreferences(min_healthy_percentage=50, instance_warmup_ms=1_000))
    fake.run(refresh.run())
    assert refresh.describe() == {
        "InstanceRefreshId": "refresh-1",
        "Status": "Successful",
        "StatusReason": "Instance refresh completed.",
        "PercentageComplete": 100,
        "InstancesToUpdate": 0,
        "Preferences": {
            "MinHealthyPercentage": 50,
            "InstanceWarmup": 1,
            "SkipMatching": False,
            "AutoRollback": False,
            "BakeTime": 0,
        },
        "StartTime": 0,
        "EndTime": 2_000,
    }


def test_a_resumed_refresh_finding_one_instance_too_many_retires_the_old_one_and_launches_none(
    fake: FakeClock, clock: MillisecondClock, fleet: FakeFleet
) -> None:
    """A restart cut a launch-first batch short: v2 launched, its v1 not yet retired."""
    instances = fleet.seed("v1", 1) + fleet.seed("v2", 1)
    refresh = InstanceRefresh(
        port=fleet,
        clock=clock,
        instances=instances,
        target_release="v2",
        preferences=RefreshPreferences(skip_matching=True),
        health_check=TEST_CHECK,
        options=RefreshOptions(deregistration_delay_ms=0),
        desired=1,
    )
    assert fake.run(refresh.run()) is RefreshStatus.SUCCESSFUL
    assert lifecycle(fleet) == [(0, "deregister", "i-0001"), (0, "terminate", "i-0001")]
    assert [(i.instance_id, i.release) for i in refresh.instances] == [("i-0002", "v2")]


def test_a_resumed_refresh_finding_one_instance_too_few_launches_it_on_the_target(
    fake: FakeClock, clock: MillisecondClock, fleet: FakeFleet
) -> None:
    """A restart cut a terminate-first batch short: v1 retired, its v2 not yet launched."""
    instances = fleet.seed("v1", 1)
    refresh = InstanceRefresh(
        port=fleet,
        clock=clock,
        instances=instances,
        target_release="v2",
        preferences=RefreshPreferences(skip_matching=True),
        health_check=TEST_CHECK,
        options=RefreshOptions(deregistration_delay_ms=0),
        desired=2,
    )
    assert fake.run(refresh.run()) is RefreshStatus.SUCCESSFUL
    assert [r for _, r in sorted((i.instance_id, i.release) for i in refresh.instances)] == ["v2", "v2"]
    assert [op for _, op, _ in lifecycle(fleet)].count("launch") == 2


def test_a_negative_desired_capacity_is_refused(clock: MillisecondClock, fleet: FakeFleet) -> None:
    with pytest.raises(BadInput) as caught:
        InstanceRefresh(
            port=fleet,
            clock=clock,
            instances=fleet.seed("v1", 1),
            target_release="v2",
            preferences=RefreshPreferences(),
            health_check=TEST_CHECK,
            desired=-1,
        )
    assert caught.value.problems == ["desired capacity must not be negative, got -1"]
