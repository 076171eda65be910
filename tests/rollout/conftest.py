"""Fixtures for rollout tests: a fake clock, a fake fleet, and a refresh factory."""

from __future__ import annotations

import pytest

from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fake_fleet import FakeFleet
from fleetops.testing.rollout import MakeRefresh, refresh_factory


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fleet(clock: FakeClock) -> FakeFleet:
    return FakeFleet(clock)


@pytest.fixture
def make_refresh(clock: FakeClock, fleet: FakeFleet) -> MakeRefresh:
    return refresh_factory(fleet, clock)
