"""The fleet file's ``drills:`` targets: strict, with clear errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetops.errors import BadInput
from fleetops.spec.loader import load_fleet_text

FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  api: {run: {command: "{python} api.py"}}
drills: DRILLS
"""


def _problems(drills: str) -> list[str]:
    with pytest.raises(BadInput) as caught:
        load_fleet_text(FLEET.replace("DRILLS", drills))
    return caught.value.problems


def test_targets_with_the_default_heartbeat() -> None:
    drills = load_fleet_text(FLEET.replace("DRILLS", "{rto: 15m, rpo: 1h}")).drills
    assert drills is not None
    assert (drills.rto, drills.rpo, drills.heartbeat, drills.data_path) == (
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(seconds=1),
        None,
    )


def test_a_target_must_be_a_duration_not_a_number() -> None:
    (problem,) = _problems("{rto: 900, rpo: 1h}")
    assert problem.startswith("fleet.yaml:6:")
    assert "drills.rto: expected a duration like 500ms, 30s, 5m, 2h or 30d, got int 900" in problem


def test_both_targets_are_required() -> None:
    assert _problems("{rto: 15m}") == ["fleet.yaml:6:9 drills: missing required field 'rpo'"]


def test_the_heartbeat_is_from_100ms_to_a_minute() -> None:
    (problem,) = _problems("{rto: 15m, rpo: 1h, heartbeat: 2m}")
    assert "heartbeat must be from 100ms to 1m" in problem


def test_the_data_path_is_a_path() -> None:
    (problem,) = _problems("{rto: 15m, rpo: 1h, data_path: orders}")
    assert "drills.data_path" in problem


def test_an_unknown_field_is_refused() -> None:
    (problem,) = _problems("{rto: 15m, rpo: 1h, rtt: 1s}")
    assert "drills.rtt" in problem
