"""Shared fixtures for engine tests: a registry and a fake clock that jumps over waits."""

from __future__ import annotations

import pytest

from fleetops.engine import Registry
from fleetops.testing.fake_clock import FakeClock


@pytest.fixture
def registry() -> Registry:
    return Registry()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(auto_advance=True)
