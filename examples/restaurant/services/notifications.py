"""notifications: records the messages it is asked to send.

POST /notifications {"to", "message"} -> 201 {"id"}; GET /notifications -> the messages sent
by this instance (newest last).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from common import JsonLog, Settings, create_service_app, serve
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp


def create_app(env: Mapping[str, str], log: JsonLog | None = None) -> ASGIApp:
    """The notifications service's app."""
    settings = Settings.from_env("notifications", env)
    log = log or JsonLog(settings)
    sent: list[dict[str, Any]] = []

    async def send(request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or not body.get("to") or not body.get("message"):
            return JSONResponse({"error": "body must have 'to' and 'message'"}, status_code=400)
        record = {"id": len(sent) + 1, "to": body["to"], "message": body["message"]}
        sent.append(record)
        log("info", "notification sent", to=record["to"])
        return JSONResponse(record, status_code=201)

    async def listing(request: Request) -> Response:
        return JSONResponse(sent)

    routes = [Route("/notifications", send, methods=["POST"]), Route("/notifications", listing)]
    return create_service_app(settings, routes, log=log)


if __name__ == "__main__":
    settings = Settings.from_env("notifications", os.environ)
    log = JsonLog(settings)
    serve(create_app(os.environ, log), settings, log)
