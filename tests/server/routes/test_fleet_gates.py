"""``POST /rollouts`` and ``POST /fleet/scale`` pass the same gate as a deployment: 423 naming
the maintenance window, the block or the lock's holder, and nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.ops.clock import iso
from fleetops.ops.maintenance import block_services, start_maintenance
from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES

ROLLOUT = {"service": "menu", "version": "v2", "release_number": 2}
SCALE = {"service": "menu", "desired": 3}


@pytest.fixture
def fleet(api: ApiHarness) -> InMemoryFleetRuntime:
    runtime = InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    api.app.state.environments.put(runtime)
    return runtime


def test_a_rollout_in_maintenance_is_refused_naming_the_window(
    api: ApiHarness, fleet: InMemoryFleetRuntime
) -> None:
    window = start_maintenance(api.store, environment="dev", reason="db upgrade", by="ana")
    response = api.client(Role.OPERATOR).post("/api/v1/rollouts", json=ROLLOUT)
    assert response.status_code == 423
    ends = iso(window.ends_at)
    assert response.json()["message"] == (
        f"rollout of 'menu' in 'dev' refused: maintenance of environment 'dev' by ana until {ends} "
        "(reason: db upgrade; end it early with: fleetops maintenance off --env dev)"
    )
    assert fleet.started == []


def test_a_rollout_of_a_blocked_service_is_refused(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    block_services(api.store, ["menu"], environment=None, reason="incident 42", by="bo")
    response = api.client(Role.OPERATOR).post("/api/v1/rollouts", json=ROLLOUT)
    assert response.status_code == 423
    assert response.json()["message"].startswith(
        "rollout of 'menu' in 'dev' refused: service 'menu' is blocked everywhere by bo since "
    )
    assert fleet.started == []


def test_a_rollout_while_a_deployment_holds_the_lock_is_refused_naming_it(
    api: ApiHarness, fleet: InMemoryFleetRuntime
) -> None:
    now = datetime.now(UTC)
    api.store.locks.acquire(
        "dev", owner="deploy-dev-1", reason="deploy v3 by ana", lease=timedelta(hours=1), now=now
    )
    response = api.client(Role.OPERATOR).post("/api/v1/rollouts", json=ROLLOUT)
    assert response.status_code == 423
    message = response.json()["message"]
    assert message.startswith(
        "environment 'dev' is locked by 'deploy-dev-1' (reason: deploy v3 by ana) since "
    )
    assert message.endswith(
        "Try again once it is released, or if the holder is gone: fleetops lock release --force --env dev"
    )
    assert fleet.started == []


def test_scale_is_refused_in_maintenance_while_locked_and_when_blocked(
    api: ApiHarness, fleet: InMemoryFleetRuntime
) -> None:
    client = api.client(Role.OPERATOR)
    start_maintenance(api.store, environment=None, reason="failover", by="ana")
    block_services(api.store, ["menu"], environment="dev", reason="incident 42", by="bo")
    api.store.locks.acquire(
        "dev",
        owner="deploy-dev-1",
        reason="deploy v3 by ana",
        lease=timedelta(hours=1),
        now=datetime.now(UTC),
    )
    response = client.post("/api/v1/fleet/scale", json=SCALE)
    assert response.status_code == 423
    message = response.json()["message"]
    assert message.startswith(
        "scale of 'menu' in 'dev' refused: maintenance of every environment by ana until "
    )
    assert "; service 'menu' is blocked in 'dev' by bo since " in message
    assert "; environment 'dev' is locked by 'deploy-dev-1' (reason: deploy v3 by ana) since " in message
    assert fleet.desired["menu"] == 2


def test_a_rollout_with_no_reason_to_refuse_starts(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    block_services(api.store, ["orders"], environment="dev", reason="incident 42", by="bo")
    response = api.client(Role.OPERATOR).post("/api/v1/rollouts", json=ROLLOUT)
    assert (response.status_code, response.json()["status"]) == (200, "Successful")
    assert [r.service for r in fleet.started] == ["menu"]
