"""Request bodies are validated strictly: a value of the wrong JSON type is 422, never coerced."""

from __future__ import annotations

import inspect
import typing

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute

from fleetops.server.auth import Role
from fleetops.server.request_models import QueryModel, StrictModel
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES


def _models(route: APIRoute) -> list[type[BaseModel]]:
    found = []
    hints = typing.get_type_hints(route.endpoint, include_extras=True)
    hints.pop("return", None)
    for hint in hints.values():
        for candidate in (hint, getattr(hint, "__origin__", None)):
            if inspect.isclass(candidate) and issubclass(candidate, BaseModel):
                found.append(candidate)
    return found


def _api_routes(routes: list[BaseRoute]) -> list[APIRoute]:
    # Included routers are kept whole (FastAPI's _IncludedRouter): walk into them.
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        included = getattr(route, "original_router", None)
        if included is not None:
            found += _api_routes(included.routes)
    return found


def test_every_request_model_of_every_route_is_strict_or_a_query(api: ApiHarness) -> None:
    models = {model for route in _api_routes(api.app.routes) for model in _models(route)}
    assert len(models) >= 14
    assert [m.__name__ for m in models if not issubclass(m, StrictModel | QueryModel)] == []
    assert all(m.model_config.get("strict") is True for m in models if issubclass(m, StrictModel))


def test_cleanup_keep_true_is_refused_and_deletes_nothing(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).post("/api/v1/executions/cleanup", json={"keep": True})
    assert response.status_code == 422
    assert response.json()["problems"] == ["body.keep: Input should be a valid integer (got True)"]


def test_scale_desired_true_is_refused_and_scales_nothing(api: ApiHarness) -> None:
    runtime = InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    api.app.state.environments.put(runtime)
    before = dict(runtime.desired)
    response = api.client(Role.OPERATOR).post(
        "/api/v1/fleet/scale", json={"service": "menu", "desired": True}
    )
    assert response.status_code == 422
    assert response.json()["problems"] == ["body.desired: Input should be a valid integer (got True)"]
    assert runtime.desired == before


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        (
            "/api/v1/fleet/scale",
            {"service": "menu", "desired": "3"},
            "body.desired: Input should be a valid integer (got '3')",
        ),
        ("/api/v1/executions/cleanup", {"keep": 1.0}, "body.keep: Input should be a valid integer (got 1.0)"),
        (
            "/api/v1/tokens",
            {"name": "ci", "role": True},
            "body.role: Input should be 'viewer', 'operator' or 'admin' (got True)",
        ),
        ("/api/v1/maintenance", {"reason": 7}, "body.reason: Input should be a valid string (got 7)"),
        (
            "/api/v1/block",
            {"services": "orders"},
            "body.services: Input should be a valid list (got 'orders')",
        ),
        (
            "/api/v1/executions/x/approval",
            {"approve": "yes"},
            "body.approve: Input should be a valid boolean (got 'yes')",
        ),
        (
            "/api/v1/executions/x/approval",
            {"approve": 1},
            "body.approve: Input should be a valid boolean (got 1)",
        ),
        (
            "/api/v1/deployments",
            {"environment": "dev", "version": 2},
            "body.version: Input should be a valid string (got 2)",
        ),
        (
            "/api/v1/rollouts",
            {"service": "menu", "version": "v2", "preferences": {"SkipMatching": "true"}},
            "body.preferences.SkipMatching: Input should be a valid boolean (got 'true')",
        ),
    ],
)
def test_a_value_of_the_wrong_json_type_is_422(
    api: ApiHarness, path: str, body: dict[str, object], problem: str
) -> None:
    response = api.client(Role.ADMIN).post(path, json=body)
    assert response.status_code == 422
    assert problem in response.json()["problems"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/deployments", {"environment": "dev", "version": "v2; rm -rf /"}),
        ("/api/v1/rollouts", {"service": "menu", "version": "../v2"}),
        ("/api/v1/environments", {"environment": "dev", "version": "-v2"}),
    ],
)
def test_a_version_the_fleet_file_would_refuse_is_422_and_starts_nothing(
    api: ApiHarness, path: str, body: dict[str, object]
) -> None:
    response = api.client(Role.ADMIN).post(path, json=body)
    assert response.status_code == 422
    pattern = "^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$"
    assert response.json()["problems"] == [
        f"body.version: String should match pattern '{pattern}' (got {body['version']!r})"
    ]
    assert api.client(Role.ADMIN).get("/api/v1/executions").json()["executions"] == []
