"""The ``scaling`` section of a service: target tracking on CPU, validated where it is written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetops.errors import BadInput
from fleetops.spec.loader import load_fleet_text

FLEET = """\
environments: {dev: {provider: local}}
services:
  menu:
    run: {command: "{python} services/menu.py"}
    instances: {min: 1, desired: 1, max: %(max)s}
    scaling: %(scaling)s
"""


def problems_of(max_: int, scaling: str) -> list[str]:
    with pytest.raises(BadInput) as caught:
        load_fleet_text(FLEET % {"max": max_, "scaling": scaling})
    return caught.value.problems


def test_scaling_is_read_with_its_durations() -> None:
    fleet = load_fleet_text(FLEET % {"max": 3, "scaling": "{target_cpu: 50, scale_out_cooldown: 30s}"})
    scaling = fleet.service("menu", "dev").scaling
    assert scaling is not None
    assert (scaling.target_cpu, scaling.scale_out_cooldown, scaling.scale_in_cooldown, scaling.warmup) == (
        50,
        timedelta(seconds=30),
        timedelta(seconds=300),
        None,
    )


def test_target_cpu_must_be_a_percentage() -> None:
    assert problems_of(3, "{target_cpu: 150}") == [
        "fleet.yaml:6:27 services.menu.scaling.target_cpu: expected a number <= 100.0, got 150"
    ]


def test_scaling_needs_room_between_min_and_max() -> None:
    assert problems_of(1, "{target_cpu: 50}") == [
        "fleet.yaml:6:14 services.menu.scaling: scaling needs room: instances min and max are both 1; "
        "raise max above min"
    ]
