"""InstanceOps: one instance's drain timing and failure report, driven directly."""

from __future__ import annotations

from collections.abc import Sequence

from fleetops.rollout import MillisecondClock
from fleetops.rollout.instance import InstanceOps, InstanceSettings, Member
from fleetops.testing.fake_clock import FakeClock, at_ms
from fleetops.testing.fake_fleet import Behaviour, FakeFleet
from fleetops.testing.rollout import TEST_CHECK

SETTINGS = InstanceSettings(
    health_check=TEST_CHECK, instance_warmup_ms=0, grace_period_ms=0, deregistration_delay_ms=12_000
)


def test_retire_deregisters_waits_the_delay_then_terminates() -> None:
    fake = FakeClock(at_ms(0))
    clock = MillisecondClock(fake)
    fleet = FakeFleet(clock)
    (old,) = fleet.seed("v1", 1)
    events: list[str] = []
    ops = InstanceOps(fleet, clock, SETTINGS, events.append)
    fake.run(ops.retire(Member(old.instance_id, "v1")))
    assert fleet.ops() == [(0, "deregister", "i-0001"), (12_000, "terminate", "i-0001")]
    assert events == ["draining i-0001", "terminated i-0001"]


def test_retire_terminates_as_soon_as_the_instance_is_drained() -> None:
    # ELB completes a deregistration at once when no request is in flight: no full delay.
    fake = FakeClock(at_ms(0))
    clock = MillisecondClock(fake)
    fleet = FakeFleet(clock, {"v1": Behaviour(drained_after_ms=400)})
    (old,) = fleet.seed("v1", 1)
    ops = InstanceOps(fleet, clock, SETTINGS, lambda _: None)
    fake.run(ops.retire(Member(old.instance_id, "v1")))
    assert fleet.ops() == [(0, "deregister", "i-0001"), (400, "terminate", "i-0001")]


def test_retire_waits_no_longer_than_the_delay_for_requests_in_flight() -> None:
    fake = FakeClock(at_ms(0))
    clock = MillisecondClock(fake)
    fleet = FakeFleet(clock, {"v1": Behaviour(drained_after_ms=60_000)})
    (old,) = fleet.seed("v1", 1)
    ops = InstanceOps(fleet, clock, SETTINGS, lambda _: None)
    fake.run(ops.retire(Member(old.instance_id, "v1")))
    assert fleet.ops() == [(0, "deregister", "i-0001"), (12_000, "terminate", "i-0001")]


class LoglessFleet(FakeFleet):
    async def recent_logs(self, instance_id: str, n: int) -> Sequence[str]:
        raise ConnectionError("log store down")


def test_a_report_says_so_when_logs_cannot_be_read() -> None:
    fake = FakeClock(at_ms(0))
    clock = MillisecondClock(fake)
    fleet = LoglessFleet(clock)
    (old,) = fleet.seed("v1", 1)
    ops = InstanceOps(fleet, clock, SETTINGS, lambda _: None)
    report = fake.run(ops.report(Member(old.instance_id, "v1"), "it broke"))
    assert report.log_lines == ("(logs unavailable: ConnectionError: log store down)",)
