"""The port a rollout drives: the few operations it needs from a fleet, and their value types.

A provider implements `FleetPort` for one service (local: processes behind HAProxy; aws: an Auto
Scaling group behind a target group); `fleetops.testing.fake_fleet.FakeFleet` implements it in
memory for tests. The rollout never learns how an instance is made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from fleetops.rollout.health import ProbeResult

ALARM = "ALARM"
OK = "OK"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


@dataclass(frozen=True)
class GroupInstance:
    """An instance of the group and the release it runs."""

    instance_id: str
    release: str


class FleetPort(Protocol):
    """What a rollout asks of a fleet. Every method may raise; the rollout reports the error."""

    async def launch(self, release: str) -> str:
        """Start one instance of `release`; return its id once it is running (InService)."""
        ...

    async def register(self, instance_id: str) -> None:
        """Add the instance to the load balancer; it gets traffic once its health checks pass."""
        ...

    async def deregister(self, instance_id: str) -> None:
        """Stop sending new requests to the instance; requests in flight go on (draining)."""
        ...

    async def wait_drained(self, instance_id: str, timeout_ms: int) -> None:
        """Return once the deregistered instance has no request in flight and no connection
        left (ELB then completes the deregistration at once), at the latest after `timeout_ms`
        (the deregistration delay)."""
        ...

    async def terminate(self, instance_id: str) -> None:
        """Stop the instance for good."""
        ...

    async def probe(self, instance_id: str, timeout_ms: int) -> ProbeResult:
        """Send one health-check request, giving up after `timeout_ms`."""
        ...

    async def alarm_states(self, names: Sequence[str]) -> Mapping[str, str]:
        """The state (`OK`, `ALARM`, `INSUFFICIENT_DATA`) of each named alarm that exists."""
        ...

    async def recent_logs(self, instance_id: str, n: int) -> Sequence[str]:
        """The instance's last `n` log lines, oldest first."""
        ...
