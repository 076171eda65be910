"""Names in a request are checked against the fleet file before anything changes (400)."""

from __future__ import annotations

import pytest

from fleetops.control.deployments import Deployments
from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.local import EXAMPLES

SERVICES = "auth, gateway, menu, notifications, orders, payments"
ENVIRONMENTS = "dev, prod, stage"


@pytest.fixture
def with_fleet(api: ApiHarness) -> ApiHarness:
    environments = in_memory_environments(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    deployments = Deployments(api.app.state.executions, api.store, environments)
    deployments.register()
    api.app.state.environments = environments
    api.app.state.deployments = deployments
    return api


@pytest.mark.parametrize(
    ("method", "path", "arguments", "message"),
    [
        (
            "POST",
            "/api/v1/maintenance",
            {"json": {"environment": "nosuchenv", "reason": "r"}},
            f"unknown environment 'nosuchenv' (the fleet has: {ENVIRONMENTS})",
        ),
        (
            "DELETE",
            "/api/v1/maintenance",
            {"params": {"environment": "../../etc/passwd"}},
            f"unknown environment '../../etc/passwd' (the fleet has: {ENVIRONMENTS})",
        ),
        (
            "POST",
            "/api/v1/block",
            {"json": {"services": ["paymnts"], "environment": "dev"}},
            f"unknown service 'paymnts' (the fleet has: {SERVICES}); did you mean 'payments'?",
        ),
        (
            "POST",
            "/api/v1/block",
            {"json": {"services": ["payments"], "environment": "qa"}},
            f"unknown environment 'qa' (the fleet has: {ENVIRONMENTS})",
        ),
        (
            "GET",
            "/api/v1/releases",
            {"params": {"service": "ordrs"}},
            f"unknown service 'ordrs' (the fleet has: {SERVICES}); did you mean 'orders'?",
        ),
        (
            "GET",
            "/api/v1/notifications",
            {"params": {"channel": "ops-chta"}},
            "unknown notification channel 'ops-chta' (the fleet has: on-call-email, ops-chat); "
            "did you mean 'ops-chat'?",
        ),
        (
            "POST",
            "/api/v1/rollbacks",
            {"json": {"environment": "dev", "services": ["ordrs"]}},
            f"unknown service 'ordrs' (the fleet has: {SERVICES}); did you mean 'orders'?",
        ),
        (
            "POST",
            "/api/v1/deployments",
            {"json": {"environment": "dve", "version": "v2"}},
            f"unknown environment 'dve' (the fleet has: {ENVIRONMENTS}); did you mean 'dev'?",
        ),
        (
            "GET",
            "/api/v1/fleet/logs",
            {"params": {"service": "orders", "instance": "nope"}},
            "unknown instance 'nope' (orders runs: ",
        ),
        (
            "GET",
            "/api/v1/locks/stgae",
            {},
            f"unknown environment 'stgae' (the fleet has: {ENVIRONMENTS}); did you mean 'stage'?",
        ),
    ],
)
def test_an_unknown_name_is_400_naming_the_known_ones_and_changes_nothing(
    with_fleet: ApiHarness, method: str, path: str, arguments: dict[str, object], message: str
) -> None:
    api = with_fleet
    response = api.client(Role.ADMIN).request(method, path, **arguments)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(message)
    assert api.store.maintenance.blocks(None) == []
    assert api.client(Role.VIEWER).get("/api/v1/maintenance").json() == {"windows": []}
    assert api.client(Role.VIEWER).get("/api/v1/executions").json() == {"executions": []}


def test_without_a_fleet_a_path_is_not_a_name(api: ApiHarness) -> None:
    response = api.client(Role.OPERATOR).delete(
        "/api/v1/maintenance", params={"environment": "../../etc/passwd"}
    )
    assert (response.status_code, response.json()["message"]) == (
        400,
        "environment name '../../etc/passwd' is not valid: expected lower-case letters, digits and -, "
        "starting with a letter (like orders-db)",
    )
