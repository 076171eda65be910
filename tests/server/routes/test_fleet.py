"""``/fleet`` and ``/rollouts`` over an in-memory fleet runtime (the real one: tests/control, tests/cli)."""

from __future__ import annotations

import pytest

from fleetops.control.environments import Environments
from fleetops.runbooks.ports import DatastoreStatus, FleetStatus, RolloutRequest
from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime, in_memory_environments
from fleetops.testing.local import EXAMPLES


@pytest.fixture
def fleet(api: ApiHarness) -> InMemoryFleetRuntime:
    runtime = InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    api.app.state.environments.put(runtime)
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


class WithADatastore(InMemoryFleetRuntime):
    """An in-memory runtime whose whole status has one datastore (checked only by ``status``)."""

    def status(self) -> FleetStatus:
        store = DatastoreStatus("orders-db", "postgres", True, "SELECT 1 answered", 5432, 1, 100)
        return FleetStatus(self.fleet.name, self.environment, super().status().services, (store,))


def test_status_without_datastores_has_the_services_and_checks_no_datastore(api: ApiHarness) -> None:
    api.app.state.environments.put(WithADatastore(load_fleet(EXAMPLES / "fleet.yaml"), "dev"))
    client = api.client(Role.VIEWER)
    whole = client.get("/api/v1/fleet").json()
    services = client.get("/api/v1/fleet", params={"datastores": "false"}).json()
    assert [d["name"] for d in whole["datastores"]] == ["orders-db"]
    assert services == {key: value for key, value in whole.items() if key != "datastores"}


def test_a_rollout_is_started_described_and_idempotent(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    client = api.client(Role.OPERATOR)
    body = {"service": "menu", "version": "v2", "release_number": 2, "rollout_id": "exec-1:menu:2"}
    started = client.post("/api/v1/rollouts", json=body).json()
    assert (started["rollout_id"], started["status"]) == ("exec-1:menu:2", "Successful")
    assert client.post("/api/v1/rollouts", json=body).json() == started
    assert client.get("/api/v1/rollouts/exec-1:menu:2").json() == started
    assert len(fleet.started) == 1


def test_rollout_preferences_are_read_as_aws_json(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    body = {"service": "menu", "version": "v2", "preferences": {"MinHealthyPercentage": 50, "Nope": 1}}
    response = api.client(Role.OPERATOR).post("/api/v1/rollouts", json=body)
    assert response.status_code == 422
    assert response.json()["problems"] == ["body.preferences.Nope: Extra inputs are not permitted (got 1)"]


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


def test_a_log_query_answers_like_get_query_results(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    fleet.start_rollout(RolloutRequest("r", "dev", "menu", "v2", 2))
    params = {"query": 'filter msg like "starting" | stats count() as n by version', "services": "menu"}
    body = api.client(Role.VIEWER).get("/api/v1/fleet/logs/query", params=params).json()
    assert (body["status"], body["columns"]) == ("Complete", ["version", "n"])
    assert body["results"] == [[{"field": "version", "value": "v2"}, {"field": "n", "value": "2"}]]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"query": "fields a |"},
            "query: column 11: expected a command (fields, display, filter, stats, sort, "
            "limit, parse, dedup, unmask), found the end of the query",
        ),
        ({"query": "fields a", "services": "menuu"}, "unknown service 'menuu'"),
        (
            {"query": "fields a", "since": "1h", "start": "2026-01-01T00:00:00Z"},
            "since and start: give one of them",
        ),
        (
            {"query": "fields a", "since": "an hour"},
            "since: expected a duration like 500ms, 30s, 5m, 2h or 30d, got 'an hour', or an ISO 8601 time",
        ),
        (
            {"query": "fields a", "start": "2026-01-01T00:00:00"},
            "start: 2026-01-01T00:00:00 has no time zone",
        ),
    ],
)
def test_a_bad_log_query_is_400(
    api: ApiHarness, fleet: InMemoryFleetRuntime, params: dict[str, str], message: str
) -> None:
    response = api.client(Role.VIEWER).get("/api/v1/fleet/logs/query", params=params)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)


def test_operators_scaling_is_listed_as_an_activity(api: ApiHarness, fleet: InMemoryFleetRuntime) -> None:
    api.client(Role.OPERATOR).post("/api/v1/fleet/scale", json={"service": "menu", "desired": 3})
    activities = api.client(Role.VIEWER).get("/api/v1/fleet/activities", params={"service": "menu"}).json()
    assert [(a["service"], a["before"], a["after"], a["cause"]) for a in activities["activities"]] == [
        ("menu", 2, 3, "set by an operator")
    ]


@pytest.fixture
def two(api: ApiHarness) -> Environments:
    """dev and stage of the example fleet, in memory, served by the app."""
    environments = in_memory_environments(load_fleet(EXAMPLES / "fleet.yaml"), "dev", "stage")
    api.app.state.environments = environments
    return environments


def test_with_two_environments_the_status_needs_one_named(api: ApiHarness, two: Environments) -> None:
    client = api.client(Role.VIEWER)
    ambiguous = client.get("/api/v1/fleet")
    assert (ambiguous.status_code, ambiguous.json()["message"]) == (
        400,
        "this control plane runs environments dev, stage: name one (--env, or ?environment=)",
    )
    assert client.get("/api/v1/fleet", params={"environment": "stage"}).json()["environment"] == "stage"


def test_an_environment_not_running_is_423_with_how_to_start_it(api: ApiHarness, two: Environments) -> None:
    two.remove("stage")
    response = api.client(Role.VIEWER).get("/api/v1/fleet", params={"environment": "stage"})
    assert (response.status_code, response.json()["message"]) == (
        423,
        "environment 'stage' is not running on this control plane (it runs dev); "
        "start it with `fleetops up --env stage`",
    )


def test_scale_and_rollouts_act_on_the_environment_named(api: ApiHarness, two: Environments) -> None:
    client = api.client(Role.OPERATOR)
    scaled = client.post(
        "/api/v1/fleet/scale", json={"service": "menu", "desired": 3, "environment": "stage"}
    )
    assert scaled.json() == {"service": "menu", "desired": 3, "environment": "stage"}
    body = {"service": "menu", "version": "v2", "rollout_id": "s-1", "environment": "stage"}
    assert client.post("/api/v1/rollouts", json=body).json()["environment"] == "stage"
    stage = two.runtime_for("stage")
    dev = two.runtime_for("dev")
    assert isinstance(stage, InMemoryFleetRuntime) and isinstance(dev, InMemoryFleetRuntime)
    assert (stage.desired["menu"], dev.desired["menu"]) == (3, 2)
    assert (stage.current_versions()["menu"], dev.current_versions()["menu"]) == ("v2", "v1")
    described = client.get("/api/v1/rollouts/s-1", params={"environment": "stage"}).json()
    assert (described["rollout_id"], described["status"]) == ("s-1", "Successful")
