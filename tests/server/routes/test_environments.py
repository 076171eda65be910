"""``/environments``: list, start and stop environments of the server's fleet (in memory here;
the real local provider: tests/cli/test_promote.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetops.control.environments import Environments
from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.local import EXAMPLES


@pytest.fixture
def environments(api: ApiHarness) -> Environments:
    """The example fleet with dev running, in memory."""
    running = in_memory_environments(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    api.app.state.environments = running
    return running


def test_without_a_fleet_the_list_is_409(api: ApiHarness) -> None:
    response = api.client(Role.VIEWER).get("/api/v1/environments")
    assert response.status_code == 409


def test_the_list_says_which_run(api: ApiHarness, environments: Environments) -> None:
    body = api.client(Role.VIEWER).get("/api/v1/environments").json()
    assert (body["fleet"], body["running"]) == ("restaurant", ["dev"])
    assert [(e["name"], e["running"], e["approval"], e["runs_here"]) for e in body["environments"]] == [
        ("dev", True, "none", True),
        ("stage", False, "none", True),
        ("prod", False, "required", False),
    ]


def test_start_adds_an_environment_once(api: ApiHarness, environments: Environments) -> None:
    client = api.client(Role.ADMIN)
    first = client.post("/api/v1/environments", json={"environment": "stage", "version": "v2"})
    again = client.post("/api/v1/environments", json={"environment": "stage"})
    assert (first.status_code, first.json()["started"], first.json()["running"]) == (
        201,
        True,
        ["dev", "stage"],
    )
    assert (again.status_code, again.json()["started"]) == (200, False)
    assert environments.runtime_for("stage").current_versions()["menu"] == "v2"


def test_an_aws_environment_starts_beside_a_local_one(api: ApiHarness, environments: Environments) -> None:
    response = api.client(Role.ADMIN).post("/api/v1/environments", json={"environment": "prod"})
    assert (response.status_code, response.json()["running"]) == (201, ["dev", "prod"])


def test_an_unknown_environment_cannot_start(api: ApiHarness, environments: Environments) -> None:
    response = api.client(Role.ADMIN).post("/api/v1/environments", json={"environment": "qa"})
    assert response.status_code == 400


def test_stop_is_refused_while_a_deployment_holds_the_lock(
    api: ApiHarness, environments: Environments
) -> None:
    environments.add("stage", "v1")
    api.store.locks.acquire("stage", owner="deploy-stage-1", reason="deploy", lease=timedelta(minutes=5))
    refused = api.client(Role.ADMIN).delete("/api/v1/environments/stage")
    assert (refused.status_code, refused.json()["message"]) == (
        423,
        "environment 'stage' is locked by 'deploy-stage-1' (deploy): wait for it to end, or stop it "
        "first (fleetops stop deploy-stage-1)",
    )
    assert environments.names() == ["dev", "stage"]


def test_stop_stops_one_environment(api: ApiHarness, environments: Environments) -> None:
    environments.add("stage", "v1")
    response = api.client(Role.ADMIN).delete("/api/v1/environments/stage")
    assert (response.status_code, response.json()["running"]) == (200, ["dev"])
