"""Pinning a deployment's releases from the fleet file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleetops.errors import BadInput
from fleetops.ops.releases import pin_releases, resolved_config, verify_releases
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.store.releases import ReleaseStatus
from fleetops.testing.fake_clock import FakeClock

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

FLEET = """
environments:
  dev: {provider: local}
  prod: {provider: local}
secrets:
  db-password: {}
services:
  orders:
    run: {command: "{python} orders.py", env: {MODE: fast}}
    secrets: [db-password]
    env: {LOG: info}
    instances: {min: 1, desired: 2, max: 3}
    versions:
      v3: {env: {FAULT_ERROR_RATE: "0.5"}}
    overrides:
      prod: {instances: {desired: 4, max: 6}, env: {LOG: warn}}
"""


@pytest.fixture
def fleet() -> Fleet:
    return load_fleet_text(FLEET)


def test_config_is_the_service_as_it_runs_there(fleet: Fleet) -> None:
    config = resolved_config(fleet, "prod", "orders", "v3")
    assert config["env"] == {"LOG": "warn", "FAULT_ERROR_RATE": "0.5"}
    assert config["instances"] == {"min": 1, "desired": 4, "max": 6}
    assert config["run"] == {
        "command": "{python} orders.py",
        "env": {"MODE": "fast"},
        "cwd": None,
        "port": None,
    }
    assert config["secrets"] == ["db-password"]
    assert sorted(config) == ["aws", "depends_on", "deploy", "env", "health", "instances", "run", "secrets"]


def test_unknown_service_is_bad_input(fleet: Fleet) -> None:
    with pytest.raises(BadInput, match=r"^unknown service 'menu' \(the fleet has: orders\)$"):
        resolved_config(fleet, "dev", "menu", "v1")


def test_pin_records_the_secret_versions_the_service_uses(
    sqlite_store: Store, fleet: Fleet, clock: FakeClock
) -> None:
    pinned = pin_releases(
        sqlite_store,
        fleet,
        environment="dev",
        versions={"orders": "v2"},
        execution_id="exec-1",
        created_by="alice",
        secret_versions={"db-password": "ver-9", "other": "ver-1"},
        clock=clock,
    )
    assert [(r.name, r.version, r.secret_versions, r.created_at) for r in pinned] == [
        ("orders#1", "v2", {"db-password": "ver-9"}, T0)
    ]
    again = pin_releases(
        sqlite_store,
        fleet,
        environment="dev",
        versions={"orders": "v2"},
        execution_id="exec-1",
        created_by="alice",
        secret_versions={"db-password": "ver-9"},
        clock=clock,
    )
    assert again == pinned
    verified = verify_releases(sqlite_store, pinned, clock=clock)
    assert [r.status for r in verified] == [ReleaseStatus.VERIFIED]
