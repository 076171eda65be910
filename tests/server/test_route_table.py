"""RouteTable: routes built once per prefix, shared by every app, each request served on its own app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from fleetops.server.route_table import RouteTable


def _table() -> RouteTable:
    table = RouteTable(prefix="/things", tags=["things"])

    @table.get("/name")
    def name(request: Request) -> dict[str, str]:
        return {"app": request.app.state.name}

    return table


def _app(table: RouteTable, name: str, prefix: str = "/api") -> FastAPI:
    app = FastAPI()
    app.state.name = name
    table.add_to(app, prefix)
    return app


def test_a_second_app_gets_the_routes_built_for_the_first() -> None:
    table = _table()
    first, second = _app(table, "first"), _app(table, "second")
    assert [id(route) for route in first.routes[-1:]] == [id(route) for route in second.routes[-1:]]


def test_each_app_serves_the_shared_routes_on_its_own_state() -> None:
    table = _table()
    answers = [TestClient(_app(table, name)).get("/api/things/name").json() for name in ("first", "second")]
    assert answers == [{"app": "first"}, {"app": "second"}]


def test_another_prefix_gets_routes_of_its_own() -> None:
    table = _table()
    app = _app(table, "other", prefix="/v2")
    assert TestClient(app).get("/v2/things/name").json() == {"app": "other"}


class Missing(BaseModel):
    detail: str


def _two_routes(responses: dict[int | str, dict[str, Any]]) -> FastAPI:
    table = RouteTable(responses=responses)

    @table.get("/a")
    def a() -> None:
        return None

    @table.get("/b")
    def b() -> None:
        return None

    app = FastAPI()
    table.add_to(app, "/api")
    return app


def test_routes_share_the_adapter_of_an_error_model() -> None:
    first, second = _two_routes({404: {"model": Missing, "description": "Not found"}}).routes[-2:]
    assert isinstance(first, APIRoute) and isinstance(second, APIRoute)
    assert first.response_fields[404] is second.response_fields[404]


def test_a_shared_error_model_is_documented_as_a_reference_to_it() -> None:
    document = _two_routes({404: {"model": Missing, "description": "Not found"}}).openapi()
    assert document["paths"]["/api/b"]["get"]["responses"]["404"] == {
        "description": "Not found",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Missing"}}},
    }


def test_an_error_type_not_a_model_keeps_a_schema_titled_after_its_route() -> None:
    # Inlined with the route's name as its title, so FastAPI builds its adapter per route.
    document = _two_routes({400: {"model": dict[str, str], "description": "Bad"}}).openapi()
    schema = document["paths"]["/api/b"]["get"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert schema == {
        "additionalProperties": {"type": "string"},
        "title": "Response 400 B Api B Get",
        "type": "object",
    }
