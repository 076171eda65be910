"""A one-line way to build an `InstanceRefresh` over a `FakeFleet`, for tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fleetops.rollout import Clock, InstanceRefresh, ProbePolicy, RefreshOptions, RefreshPreferences
from fleetops.testing.fake_fleet import FakeFleet

TEST_CHECK = ProbePolicy(interval_ms=10_000, timeout_ms=2_000, healthy_threshold=3, unhealthy_threshold=2)
"""Probe every 10 s, 2 s timeout, healthy after 3 successes, unhealthy after 2 failures."""

MakeRefresh = Callable[..., InstanceRefresh]
OPTION_FIELDS = frozenset(field.name for field in dataclasses.fields(RefreshOptions))


def refresh_factory(fleet: FakeFleet, clock: Clock) -> MakeRefresh:
    """`make(count, preferences=None, **overrides)`: seed `count` v1 instances, refresh them to v2.

    Defaults: `TEST_CHECK`, no deregistration delay; any `InstanceRefresh` keyword, or any
    `RefreshOptions` field (`failure_timeout_ms=0`), overrides.
    """

    def make(count: int, preferences: RefreshPreferences | None = None, **overrides: Any) -> InstanceRefresh:
        options: dict[str, Any] = {
            "port": fleet,
            "clock": clock,
            "instances": fleet.seed("v1", count),
            "target_release": "v2",
            "preferences": preferences or RefreshPreferences(),
            "health_check": TEST_CHECK,
        }
        settings = {"deregistration_delay_ms": 0}
        for key, value in overrides.items():
            (settings if key in OPTION_FIELDS else options)[key] = value
        return InstanceRefresh(**options, options=RefreshOptions(**settings))

    return make
