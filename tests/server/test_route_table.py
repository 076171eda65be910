"""RouteTable: routes built once per prefix, shared by every app, each request served on its own app."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

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
