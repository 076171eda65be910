"""``/fleet`` and ``/rollouts`` over an in-memory fleet runtime (the real one: tests/control, tests/cli)."""

from __future__ import annotations

import pytest

from fleetops.control.rollouts import RolloutRequest
from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES


@pytest.fixture
def fleet(api: ApiHarness) -> InMemoryFleetRuntime:
    runtime = InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    api.app.state.fleet = runtime
    return runtime


def test_without_a_fleet_the_routes_answer_409(api: ApiHarness) -> None:
    response = api.client(Role.VIEWER).get("/api/v1/fleet")
    assert response.status_code == 409
    assert response.json()["message"].startswith("this server runs no fleet")


def test_status_lists_every_service(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    body = api.client(Role.VIEWER).get("/api/v1/fleet").json()
    assert (body["fleet"], body["environment"], body["ready"]) == ("restaurant", "dev", True)
    assert [s["name"] for s in body["services"]] == [
        "auth",
        "menu",
        "notifications",
        "payments",
        "orders",
        "gateway",
    ]


def test_a_rollout_is_started_described_and_idempotent(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    client = api.client(Role.OPERATOR)
    body = {"service": "menu", "version": "v2", "release_number": 2, "rollout_id": "exec-1:menu:2"}
    started = client.post("/api/v1/rollouts", json=body).json()
    assert (started["rollout_id"], started["status"]) == ("exec-1:menu:2", "Successful")
    assert client.post("/api/v1/rollouts", json=body).json() == started
    assert client.get("/api/v1/rollouts/exec-1:menu:2").json() == started
    assert len(fleet.requests) == 1


def test_rollout_preferences_are_read_as_aws_json(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    body = {"service": "menu", "version": "v2", "preferences": {"MinHealthyPercentage": 50, "Nope": 1}}
    response = api.client(Role.OPERATOR).post("/api/v1/rollouts", json=body)
    assert response.status_code == 400
    assert "unknown preference 'Nope'" in response.json()["problems"][0]


def test_unknown_rollout_is_404(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    assert api.client(Role.VIEWER).get("/api/v1/rollouts/nope").status_code == 404
    assert api.client(Role.OPERATOR).post("/api/v1/rollouts/nope/cancel").status_code == 404


def test_scale_outside_the_bounds_is_400(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    response = api.client(Role.OPERATOR).post("/api/v1/fleet/scale", json={"service": "menu", "desired": 7})
    assert response.status_code == 400
    assert response.json()["message"] == "desired count 7 for 'menu' is outside its instances min..max (1..3)"


def test_logs_are_filtered(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    fleet.start_rollout(RolloutRequest("r", "dev", "menu", "v2", 2))
    params = {"service": "menu", "filter": '"starting release v2"'}
    records = api.client(Role.VIEWER).get("/api/v1/fleet/logs", params=params).json()["records"]
    assert [r["msg"] for r in records] == ["starting release v2", "starting release v2"]


def test_operators_scaling_is_listed_as_an_activity(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    api.client(Role.OPERATOR).post("/api/v1/fleet/scale", json={"service": "menu", "desired": 3})
    activities = api.client(Role.VIEWER).get("/api/v1/fleet/activities", params={"service": "menu"}).json()
    assert [(a["service"], a["before"], a["after"], a["cause"]) for a in activities["activities"]] == [
        ("menu", 2, 3, "set by an operator")
    ]
