"""menu: serves the restaurant's menu items.

GET /items -> [{"id", "name", "price_cents"}]; GET /items/{id} -> one item or 404.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from common import JsonLog, Settings, create_service_app, serve
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

ITEMS = [
    {"id": 1, "name": "margherita", "price_cents": 900},
    {"id": 2, "name": "carbonara", "price_cents": 1250},
    {"id": 3, "name": "tiramisu", "price_cents": 650},
    {"id": 4, "name": "espresso", "price_cents": 250},
]


def create_app(env: Mapping[str, str], log: JsonLog | None = None) -> ASGIApp:
    """The menu service's app."""
    settings = Settings.from_env("menu", env)
    log = log or JsonLog(settings)
    by_id = {item["id"]: item for item in ITEMS}

    async def items(request: Request) -> Response:
        return JSONResponse(ITEMS)

    async def item(request: Request) -> Response:
        found = by_id.get(request.path_params["item_id"])
        if found is None:
            return JSONResponse({"error": "no such item"}, status_code=404)
        return JSONResponse(found)

    routes = [Route("/items", items), Route("/items/{item_id:int}", item)]
    return create_service_app(settings, routes, log=log)


if __name__ == "__main__":
    settings = Settings.from_env("menu", os.environ)
    log = JsonLog(settings)
    serve(create_app(os.environ, log), settings, log)
