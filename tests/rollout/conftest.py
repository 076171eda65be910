"""Fixtures for rollout tests: a fake clock (read in milliseconds), a fake fleet, a refresh factory."""

from __future__ import annotations

import pytest

from fleetops.rollout import MillisecondClock
from fleetops.testing.fake_clock import FakeClock, at_ms
from fleetops.testing.fake_fleet import FakeFleet
from fleetops.testing.rollout import MakeRefresh, refresh_factory


@pytest.fixture
def fake() -> FakeClock:
    """The clock tests run on (``fake.run``), at the Unix epoch."""
    return FakeClock(at_ms(0))


@pytest.fixture
def clock(fake: FakeClock) -> MillisecondClock:
    """The same clock as the rollout reads it: milliseconds since the epoch."""
    return MillisecondClock(fake)


@pytest.fixture
def fleet(clock: MillisecondClock) -> FakeFleet:
    return FakeFleet(clock)


@pytest.fixture
def make_refresh(clock: MillisecondClock, fleet: FakeFleet) -> MakeRefresh:
    return refresh_factory(fleet, clock)
