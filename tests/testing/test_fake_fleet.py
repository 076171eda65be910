"""FakeFleet: release behaviours, alarms on a timeline, and the call and capacity records."""

from fleetops.rollout import ALARM, OK, MillisecondClock, ProbeResult
from fleetops.testing.fake_clock import FakeClock, at_ms
from fleetops.testing.fake_fleet import Behaviour, CapacitySample, FakeFleet


def test_an_instance_refuses_probes_until_ready_then_fails_when_told() -> None:
    fake = FakeClock(at_ms(0))
    clock = MillisecondClock(fake)
    fleet = FakeFleet(
        clock, {"v2": Behaviour(ready_after_ms=1_000, unhealthy_after_ms=3_000, failing_status=500)}
    )

    async def main() -> list[ProbeResult]:
        instance = await fleet.launch("v2")
        results = []
        for _ in range(3):
            results.append(await fleet.probe(instance, 500))
            await clock.sleep(1_500)
        return results

    assert fake.run(main()) == [
        ProbeResult(None, 0, "connection refused"),
        ProbeResult(200, 0),
        ProbeResult(500, 0),
    ]


def test_alarm_states_follow_their_timeline_and_omit_unknown_alarms() -> None:
    fake = FakeClock(at_ms(0))
    clock = MillisecondClock(fake)
    fleet = FakeFleet(clock)
    fleet.set_alarm("5xx", OK)
    fleet.set_alarm("5xx", ALARM, at_ms=1_000)

    async def main() -> list[dict[str, str]]:
        before = dict(await fleet.alarm_states(["5xx", "nope"]))
        await clock.sleep(1_000)
        return [before, dict(await fleet.alarm_states(["5xx"]))]

    assert fake.run(main()) == [{"5xx": OK}, {"5xx": ALARM}]


def test_calls_and_capacity_are_recorded_after_each_call() -> None:
    fake = FakeClock(at_ms(0))
    clock = MillisecondClock(fake)
    fleet = FakeFleet(clock)
    (old,) = fleet.seed("v1", 1)

    async def main() -> None:
        new = await fleet.launch("v2")
        await fleet.register(new)
        await fleet.deregister(old.instance_id)
        await fleet.terminate(old.instance_id)

    fake.run(main())
    assert fleet.ops() == [
        (0, "launch", "i-0002"),
        (0, "register", "i-0002"),
        (0, "deregister", "i-0001"),
        (0, "terminate", "i-0001"),
    ]
    assert fleet.samples == [
        CapacitySample(0, 1, 2),
        CapacitySample(0, 2, 2),
        CapacitySample(0, 1, 2),
        CapacitySample(0, 1, 1),
    ]
