"""An in-memory fleet implementing `fleetops.rollout.port.FleetPort`, for tests.

Instances of a release behave as its `Behaviour` says (how long until the health endpoint answers,
when it starts failing, what status it returns, whether launching fails). The fleet records every
port call with its virtual time, and after each launch, register, deregister and terminate a
capacity sample (instances in service and healthy; instances running), so tests can assert
sequences, timings and bounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fleetops.rollout.clock import Clock
from fleetops.rollout.health import ProbeResult
from fleetops.rollout.port import OK, GroupInstance

_CHANGES_CAPACITY = frozenset({"launch", "register", "deregister", "terminate"})


@dataclass(frozen=True)
class Behaviour:
    """How instances of one release behave."""

    ready_after_ms: int = 0
    """Until then after launch, probes get `connection refused` (the port is not open yet)."""
    unhealthy_after_ms: int | None = None
    """From then after launch, the health endpoint returns `failing_status`."""
    failing_status: int = 503
    probe_latency_ms: int = 0
    launch_error: str | None = None
    """When set, `launch` raises RuntimeError with this message."""
    drained_after_ms: int | None = None
    """How long after its deregistration an instance still has requests in flight (None: until
    the deregistration delay ends, as if a request outlived it)."""


@dataclass(frozen=True)
class Call:
    """One port call: when, which operation, on what."""

    at_ms: int
    op: str
    target: str


@dataclass(frozen=True)
class CapacitySample:
    """Counts right after a call that changes them (launch, register, deregister, terminate)."""

    at_ms: int
    in_service: int
    """Registered, not draining, answering its health checks."""
    running: int
    """Launched and not terminated (draining included)."""


@dataclass
class FakeInstance:
    """One instance of the fake fleet."""

    instance_id: str
    release: str
    launched_at: int
    registered: bool = False
    draining: bool = False
    terminated: bool = False
    logs: list[str] = field(default_factory=list)


class FakeFleet:
    """A fleet in memory. `behaviours` maps a release to how its instances behave."""

    def __init__(
        self, clock: Clock, behaviours: Mapping[str, Behaviour] | None = None, *, keep_calls: bool = True
    ) -> None:
        """``keep_calls``: record every call and capacity sample (False: record none)."""
        self._clock = clock
        self._keep_calls = keep_calls
        self.behaviours: dict[str, Behaviour] = dict(behaviours or {})
        self.instances: dict[str, FakeInstance] = {}
        self.calls: list[Call] = []
        self.samples: list[CapacitySample] = []
        self.alarm_timeline: dict[str, list[tuple[int, str]]] = {}
        self._next_id = 1

    # -- test set-up ---------------------------------------------------------------------------

    def seed(self, release: str, count: int) -> list[GroupInstance]:
        """Instances already running, registered and healthy before the test starts."""
        out = []
        for _ in range(count):
            instance = self._new(release)
            instance.launched_at = self._clock.now() - 10**9
            instance.registered = True
            out.append(GroupInstance(instance.instance_id, release))
        return out

    def set_alarm(self, name: str, state: str, *, at_ms: int = 0) -> None:
        """The alarm is in `state` from `at_ms` on (until a later change)."""
        self.alarm_timeline.setdefault(name, []).append((at_ms, state))
        self.alarm_timeline[name].sort()

    def live(self) -> list[FakeInstance]:
        """Instances launched and not terminated."""
        return [i for i in self.instances.values() if not i.terminated]

    def ops(self, *names: str) -> list[tuple[int, str, str]]:
        """Recorded calls as (time, op, target), only the named operations if any are given."""
        return [(c.at_ms, c.op, c.target) for c in self.calls if not names or c.op in names]

    # -- FleetPort -----------------------------------------------------------------------------

    async def launch(self, release: str) -> str:
        behaviour = self.behaviours.get(release, Behaviour())
        if behaviour.launch_error is not None:
            self._record("launch", release)
            raise RuntimeError(behaviour.launch_error)
        instance = self._new(release)
        instance.logs.append(f"starting release {release}")
        self._record("launch", instance.instance_id)
        return instance.instance_id

    async def register(self, instance_id: str) -> None:
        self.instances[instance_id].registered = True
        self._record("register", instance_id)

    async def deregister(self, instance_id: str) -> None:
        self.instances[instance_id].draining = True
        self._record("deregister", instance_id)

    async def wait_drained(self, instance_id: str, timeout_ms: int) -> None:
        drained = self.behaviours.get(self.instances[instance_id].release, Behaviour()).drained_after_ms
        await self._clock.sleep(timeout_ms if drained is None else min(drained, timeout_ms))

    async def terminate(self, instance_id: str) -> None:
        instance = self.instances[instance_id]
        instance.terminated = True
        instance.logs.append("terminated")
        self._record("terminate", instance_id)

    async def probe(self, instance_id: str, timeout_ms: int) -> ProbeResult:
        instance = self.instances[instance_id]
        latency = self.behaviours.get(instance.release, Behaviour()).probe_latency_ms
        self._record("probe", instance_id)
        await self._clock.sleep(latency)
        status = self._status(instance)
        if status is None:
            instance.logs.append("health check: connection refused")
            return ProbeResult(None, latency, "connection refused")
        instance.logs.append(f"GET /health {status}")
        return ProbeResult(status, latency)

    async def alarm_states(self, names: Sequence[str]) -> Mapping[str, str]:
        self._record("alarm_states", ",".join(names))
        now = self._clock.now()
        states = {}
        for name in names:
            timeline = self.alarm_timeline.get(name)
            if timeline is not None:
                states[name] = OK
                for at_ms, state in timeline:
                    if at_ms <= now:
                        states[name] = state
        return states

    async def recent_logs(self, instance_id: str, n: int) -> Sequence[str]:
        self._record("recent_logs", instance_id)
        return self.instances[instance_id].logs[-n:]

    # -- internals -----------------------------------------------------------------------------

    def _new(self, release: str) -> FakeInstance:
        instance = FakeInstance(f"i-{self._next_id:04d}", release, self._clock.now())
        self._next_id += 1
        self.instances[instance.instance_id] = instance
        return instance

    def _status(self, instance: FakeInstance) -> int | None:
        """What the health endpoint answers now (None: not listening)."""
        if instance.terminated:
            return None
        behaviour = self.behaviours.get(instance.release, Behaviour())
        age = self._clock.now() - instance.launched_at
        if age < behaviour.ready_after_ms:
            return None
        if behaviour.unhealthy_after_ms is not None and age >= behaviour.unhealthy_after_ms:
            return behaviour.failing_status
        return 200

    def _record(self, op: str, target: str) -> None:
        if not self._keep_calls:
            return
        now = self._clock.now()
        self.calls.append(Call(now, op, target))
        if op not in _CHANGES_CAPACITY:
            return
        live = self.live()
        in_service = sum(1 for i in live if i.registered and not i.draining and self._status(i) == 200)
        self.samples.append(CapacitySample(now, in_service, len(live)))
