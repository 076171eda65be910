"""ProviderPort.wait_drained: a retired instance is terminated once its provider says it is drained."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from fleetops.control.fleet_port import ProviderPort
from fleetops.providers.base import InstanceInfo, InstanceState, ManagedProvider, TargetHealth

DRAINING = InstanceInfo(
    id="i-1",
    service="menu",
    version="v1",
    state=InstanceState.DRAINING,
    address="127.0.0.1",
    port=10001,
    started_at=datetime(2026, 12, 7, tzinfo=UTC),
    health=TargetHealth.DRAINING,
)


class Looks:
    """A provider whose instance answers each look with the next of ``answers`` (the last one
    again once they run out); KeyError for an instance it does not know."""

    def __init__(self, *answers: InstanceInfo) -> None:
        self.answers = list(answers)
        self.looks = 0

    def instance(self, instance_id: str) -> InstanceInfo:
        if instance_id != "i-1":
            raise KeyError(instance_id)
        self.looks += 1
        return self.answers[min(self.looks, len(self.answers)) - 1]


def _wait(provider: Looks, instance_id: str, timeout_ms: int) -> None:
    async def scenario() -> None:
        port = ProviderPort(cast(ManagedProvider, provider), "menu", poll_s=0.001)
        try:
            await port.wait_drained(instance_id, timeout_ms)
        finally:
            await port.close()

    asyncio.run(scenario())


def test_it_returns_at_the_first_look_finding_the_instance_unused() -> None:
    unused = replace(DRAINING, health=TargetHealth.UNUSED)
    provider = Looks(DRAINING, DRAINING, unused, DRAINING)
    _wait(provider, "i-1", 600_000)
    assert provider.looks == 3


def test_it_returns_once_the_instance_has_ended() -> None:
    provider = Looks(DRAINING, replace(DRAINING, state=InstanceState.TERMINATED, health=TargetHealth.UNUSED))
    _wait(provider, "i-1", 600_000)
    assert provider.looks == 2


def test_it_returns_for_an_instance_the_provider_no_longer_knows() -> None:
    provider = Looks(DRAINING)
    _wait(provider, "i-2", 600_000)
    assert provider.looks == 0


def test_it_gives_up_after_the_delay_while_requests_are_in_flight() -> None:
    provider = Looks(DRAINING)
    _wait(provider, "i-1", 20)  # returns (a wait without end would time the test out)
    assert provider.looks >= 1
