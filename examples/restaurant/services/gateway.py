"""gateway: the public API; routes ``/api/...`` to auth, menu and orders through their load balancers.

POST /api/token {"user"} -> auth; GET /api/menu -> menu; GET|POST /api/orders (bearer token,
validated by auth) -> orders for the token's user. Requires auth; menu and orders answer 502
through the gateway when they are down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx
from common import JsonLog, Settings, create_service_app, serve
from dependency import Dependency
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp


def _relay(response: httpx.Response) -> Response:
    return Response(response.content, status_code=response.status_code, media_type="application/json")


def create_app(env: Mapping[str, str], log: JsonLog | None = None) -> ASGIApp:
    """The gateway's app."""
    settings = Settings.from_env("gateway", env)
    log = log or JsonLog(settings)
    auth = Dependency.from_env("auth", env, required=True)
    menu = Dependency.from_env("menu", env, required=False)
    orders = Dependency.from_env("orders", env, required=False)

    async def call(dep: Dependency, method: str, path: str, **kwargs: object) -> Response:
        try:
            return _relay(await dep.request(method, path, **kwargs))  # type: ignore[arg-type]
        except httpx.HTTPError as err:
            log("error", "upstream failed", upstream=dep.name, error=str(err))
            return JSONResponse({"error": f"{dep.name} unavailable"}, status_code=502)

    async def user_of(request: Request) -> str | Response:
        try:
            checked = await auth.request(
                "GET", "/validate", headers={"authorization": request.headers.get("authorization", "")}
            )
        except httpx.HTTPError:
            return JSONResponse({"error": "auth unavailable"}, status_code=502)
        if checked.status_code != 200:
            return _relay(checked)
        user: str = checked.json()["user"]
        return user

    async def token(request: Request) -> Response:
        return await call(auth, "POST", "/token", content=await request.body())

    async def menu_items(request: Request) -> Response:
        return await call(menu, "GET", "/items")

    async def orders_route(request: Request) -> Response:
        user = await user_of(request)
        if isinstance(user, Response):
            return user
        if request.method == "GET":
            return await call(orders, "GET", "/orders", params={"user": user})
        body = await request.json()
        items = body.get("items") if isinstance(body, dict) else None
        return await call(orders, "POST", "/orders", json={"user": user, "items": items})

    async def index(request: Request) -> Response:
        return JSONResponse(
            {"service": "gateway", "version": settings.version, "instance": settings.instance}
        )

    routes = [
        Route("/", index),
        Route("/api/token", token, methods=["POST"]),
        Route("/api/menu", menu_items),
        Route("/api/orders", orders_route, methods=["GET", "POST"]),
    ]
    return create_service_app(settings, routes, log=log, dependencies=[auth, menu, orders])


if __name__ == "__main__":
    settings = Settings.from_env("gateway", os.environ)
    log = JsonLog(settings)
    serve(create_app(os.environ, log), settings, log)
