"""Deployment routes: what they refuse before anything starts."""

from __future__ import annotations

import pytest

from fleetops.control.deployments import Deployments
from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.local import EXAMPLES


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/deployments", {"environment": "dev", "version": "v2"}),
        ("/api/v1/promotions", {"source": "stage", "target": "dev"}),
    ],
)
@pytest.mark.parametrize("timeout", ["0s", "500ms"])
def test_an_approval_timeout_under_a_second_is_bad_input_and_starts_nothing(
    api: ApiHarness, path: str, body: dict[str, str], timeout: str
) -> None:
    environments = in_memory_environments(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    deployments = Deployments(api.app.state.executions, api.store, environments)
    deployments.register()
    api.app.state.environments = environments
    api.app.state.deployments = deployments
    client = api.client(Role.OPERATOR)
    response = client.post(path, json={**body, "approval_timeout": timeout})
    seconds = {"0s": "0", "500ms": "0.5"}[timeout]
    assert (response.status_code, response.json()["message"]) == (
        400,
        f"approval_timeout {seconds}s: it must be at least 1s (like 30m; default 1d)",
    )
    assert client.get("/api/v1/executions").json()["executions"] == []
