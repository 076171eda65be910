"""InstanceRefresh when it stops: health failures, alarms, AutoRollback, rollback(), cancel()."""

from __future__ import annotations

import asyncio

import pytest

from fleetops.errors import Refused
from fleetops.rollout import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    InstanceRefresh,
    MillisecondClock,
    RefreshPreferences,
    RefreshStatus,
)
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fake_fleet import Behaviour, FakeFleet
from fleetops.testing.rollout import MakeRefresh

MINUTE = 60_000
BAD = Behaviour(unhealthy_after_ms=0)  # the health endpoint answers 503 from the start


def releases(fleet: FakeFleet) -> list[str]:
    return sorted(i.release for i in fleet.live())


def test_a_health_failure_fails_the_refresh_with_a_report_naming_the_instance(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.behaviours["v2"] = BAD
    refresh = make_refresh(2, RefreshPreferences(min_healthy_percentage=50), failure_timeout_ms=0)
    assert fake.run(refresh.run()) is RefreshStatus.FAILED
    assert refresh.failure is not None
    assert refresh.status_reason == "Instance i-0003 failed its health checks."
    assert refresh.failure.render() == "\n".join(
        [
            "Instance i-0003 failed its health checks.",
            "instance i-0003 (release v2)",
            "last health checks:",
            "  t=0ms 503 in 0ms: fail (status 503 not in 200)",
            "  t=10000ms 503 in 0ms: fail (status 503 not in 200)",
            "last log lines:",
            "  starting release v2",
            "  GET /health 503",
            "  GET /health 503",
        ]
    )


def test_a_failed_refresh_keeps_what_it_replaced_and_leaves_no_instance_unregistered(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    """AWS: "instances that were already replaced are not rolled back"; the group keeps its size."""
    fleet.behaviours["v2"] = BAD
    fake.run(make_refresh(2, RefreshPreferences(min_healthy_percentage=50), failure_timeout_ms=0).run())
    assert releases(fleet) == ["v1", "v2"]
    assert all(i.registered for i in fleet.live())


def test_unhealthy_new_instances_are_replaced_until_the_failure_timeout(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    """AWS retries for an hour; here 25 s: a new instance is unhealthy 10 s after launch."""
    fleet.behaviours["v2"] = BAD
    refresh = make_refresh(1, RefreshPreferences(), failure_timeout_ms=25_000)
    assert fake.run(refresh.run()) is RefreshStatus.FAILED
    assert fleet.ops("launch") == [
        (0, "launch", "i-0002"),
        (10_000, "launch", "i-0003"),
        (20_000, "launch", "i-0004"),
        (30_000, "launch", "i-0005"),
    ]
    assert refresh.failure is not None and refresh.failure.instance_id == "i-0005"


def test_a_counted_instance_turning_unhealthy_while_baking_fails_the_refresh(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.behaviours["v2"] = Behaviour(unhealthy_after_ms=2 * MINUTE)
    refresh = make_refresh(1, RefreshPreferences(bake_time_ms=10 * MINUTE))
    assert fake.run(refresh.run()) is RefreshStatus.FAILED
    assert refresh.end_time == 130_000  # failures at 120 s and 130 s
    assert refresh.status_reason == "Instance i-0002 became unhealthy after it was counted as updated."


def test_a_launch_error_fails_the_refresh_with_its_message(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.behaviours["v2"] = Behaviour(launch_error="InsufficientInstanceCapacity")
    refresh = make_refresh(1, RefreshPreferences(), failure_timeout_ms=0)
    assert fake.run(refresh.run()) is RefreshStatus.FAILED
    assert refresh.status_reason == "Launching release v2 failed: RuntimeError: InsufficientInstanceCapacity"


def test_auto_rollback_after_a_health_failure_returns_the_group_to_the_previous_release(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.behaviours["v2"] = Behaviour(unhealthy_after_ms=15_000)
    prefs = RefreshPreferences(
        min_healthy_percentage=50, instance_warmup_ms=10_000, bake_time_ms=MINUTE, auto_rollback=True
    )
    refresh = make_refresh(4, prefs, failure_timeout_ms=0)
    assert fake.run(refresh.run()) is RefreshStatus.ROLLBACK_SUCCESSFUL
    assert releases(fleet) == ["v1"] * 4
    assert refresh.failure is not None
    # i-0005 and i-0006 fail their second probe at the same millisecond; either may be named
    assert refresh.failure.instance_id in ("i-0005", "i-0006")
    assert refresh.failure.reason.endswith("became unhealthy after it was counted as updated.")
    assert refresh.status_reason == "Rolled back to release v1."


def test_rollback_keeps_capacity_within_min_healthy(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.behaviours["v2"] = Behaviour(unhealthy_after_ms=15_000)
    prefs = RefreshPreferences(
        min_healthy_percentage=50, instance_warmup_ms=10_000, bake_time_ms=MINUTE, auto_rollback=True
    )
    fake.run(make_refresh(4, prefs, failure_timeout_ms=0, deregistration_delay_ms=5_000).run())
    assert max(s.running for s in fleet.samples) == 4


def test_an_alarm_in_alarm_fails_the_refresh_and_auto_rollback_undoes_it(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.set_alarm("5xx", OK)
    fleet.set_alarm("5xx", ALARM, at_ms=95_000)
    prefs = RefreshPreferences(instance_warmup_ms=MINUTE, alarms=("5xx",), auto_rollback=True)
    refresh = make_refresh(10, prefs, alarm_poll_interval_ms=10_000)
    assert fake.run(refresh.run()) is RefreshStatus.ROLLBACK_SUCCESSFUL
    assert refresh.failure is not None
    assert (refresh.failure.reason, refresh.failure.alarms) == (
        "Alarm 5xx went into ALARM.",
        (("5xx", "ALARM"),),
    )
    assert next(e for e in refresh.events if e.message.startswith("failed")).at_ms == 100_000
    assert releases(fleet) == ["v1"] * 10


def test_an_alarm_without_auto_rollback_fails_without_rolling_back(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.set_alarm("5xx", OK)
    fleet.set_alarm("5xx", ALARM, at_ms=65_000)
    refresh = make_refresh(
        4, RefreshPreferences(min_healthy_percentage=75, instance_warmup_ms=MINUTE, alarms=("5xx",))
    )
    assert fake.run(refresh.run()) is RefreshStatus.FAILED
    # the batch in flight (terminate first) still launched its replacement: the group keeps its size
    assert releases(fleet) == ["v1", "v1", "v2", "v2"]


@pytest.mark.parametrize("state", [ALARM, INSUFFICIENT_DATA])
def test_an_alarm_not_ok_at_start_refuses_the_refresh_and_changes_nothing(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh, state: str
) -> None:
    fleet.set_alarm("5xx", state)
    refresh = make_refresh(2, RefreshPreferences(alarms=("5xx", "gone")))
    with pytest.raises(Refused) as caught:
        fake.run(refresh.run())
    assert (
        caught.value.message
        == f"alarm 'gone' does not exist; alarm '5xx' is in {state}; it must be OK to start"
    )
    assert fleet.ops() == [(0, "alarm_states", "5xx,gone")]
    assert refresh.status is RefreshStatus.PENDING


def test_insufficient_data_holds_back_the_next_batch(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.set_alarm("latency", OK)
    fleet.set_alarm("latency", INSUFFICIENT_DATA, at_ms=5_000)
    fleet.set_alarm("latency", OK, at_ms=95_000)
    prefs = RefreshPreferences(min_healthy_percentage=50, instance_warmup_ms=20_000, alarms=("latency",))
    refresh = make_refresh(2, prefs, alarm_poll_interval_ms=10_000)
    assert fake.run(refresh.run()) is RefreshStatus.SUCCESSFUL
    assert [t for t, _, _ in fleet.ops("launch")] == [0, 100_000]


def test_manual_rollback_mid_refresh_replaces_new_instances_with_the_previous_release(
    fake: FakeClock, clock: MillisecondClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    refresh = make_refresh(4, RefreshPreferences(min_healthy_percentage=50, instance_warmup_ms=MINUTE))

    async def scenario() -> RefreshStatus:
        task = asyncio.ensure_future(refresh.run())
        await clock.sleep(90_000)  # first batch of 2 done, second batch warming up
        refresh.rollback()
        assert refresh.status is RefreshStatus.ROLLBACK_IN_PROGRESS
        return await task

    assert fake.run(scenario()) is RefreshStatus.ROLLBACK_SUCCESSFUL
    assert releases(fleet) == ["v1"] * 4
    assert all(i.registered and not i.draining for i in fleet.live())


def test_rollback_without_a_previous_release_is_refused(clock: MillisecondClock, fleet: FakeFleet) -> None:
    from fleetops.testing.rollout import TEST_CHECK

    refresh = InstanceRefresh(
        port=fleet,
        clock=clock,
        instances=fleet.seed("v2", 1),
        target_release="v2",
        preferences=RefreshPreferences(),
        health_check=TEST_CHECK,
    )
    with pytest.raises(Refused, match="has no previous release to roll back to"):
        refresh.rollback()


def test_cancel_mid_batch_finishes_the_batch_in_flight_and_ends_cancelled(
    fake: FakeClock, clock: MillisecondClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    prefs = RefreshPreferences(
        min_healthy_percentage=80, max_healthy_percentage=120, instance_warmup_ms=MINUTE
    )
    refresh = make_refresh(10, prefs, deregistration_delay_ms=20_000)

    async def scenario() -> RefreshStatus:
        task = asyncio.ensure_future(refresh.run())
        await clock.sleep(10_000)  # 2 launched first (warming up), 2 old draining
        refresh.cancel()
        assert refresh.status is RefreshStatus.CANCELLING
        return await task

    assert fake.run(scenario()) is RefreshStatus.CANCELLED
    # the drains finished and their replacements launched; the launch-first pair was removed
    assert releases(fleet) == ["v1"] * 8 + ["v2"] * 2
    assert len(fleet.live()) == 10
    assert all(i.registered and not i.draining for i in fleet.live())
    launched = {t for _, _, t in fleet.ops("launch")}
    assert launched <= {t for _, _, t in fleet.ops("register")}
    assert refresh.end_time == 20_000


def test_cancel_during_a_checkpoint_delay_ends_at_once(
    fake: FakeClock, clock: MillisecondClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    prefs = RefreshPreferences(
        min_healthy_percentage=50, checkpoint_percentages=(50, 100), checkpoint_delay_ms=3_600_000
    )
    refresh = make_refresh(2, prefs)

    async def scenario() -> RefreshStatus:
        task = asyncio.ensure_future(refresh.run())
        await clock.sleep(MINUTE)
        refresh.cancel()
        return await task

    assert fake.run(scenario()) is RefreshStatus.CANCELLED
    assert (refresh.end_time, releases(fleet)) == (MINUTE, ["v1", "v2"])


def test_cancel_after_the_end_is_refused(fake: FakeClock, make_refresh: MakeRefresh) -> None:
    refresh = make_refresh(1, RefreshPreferences())
    fake.run(refresh.run())
    with pytest.raises(Refused, match="is Successful; it cannot be cancelled"):
        refresh.cancel()


def test_a_probe_slower_than_the_timeout_is_a_failure_with_its_timing(
    fake: FakeClock, fleet: FakeFleet, make_refresh: MakeRefresh
) -> None:
    fleet.behaviours["v2"] = Behaviour(probe_latency_ms=5_000)  # TEST_CHECK times out at 2 s
    refresh = make_refresh(1, RefreshPreferences(), failure_timeout_ms=0)
    assert fake.run(refresh.run()) is RefreshStatus.FAILED
    assert refresh.failure is not None
    assert [p.describe() for p in refresh.failure.probes] == [
        "t=0ms - in 2000ms: fail (timed out after 2000ms)",
        "t=10000ms - in 2000ms: fail (timed out after 2000ms)",
    ]
