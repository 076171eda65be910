"""auth: issues signed bearer tokens and validates them.

POST /token {"user": "alice"} -> {"token": "..."}; GET /validate with ``Authorization: Bearer``
-> {"user": "alice"} or 401. Tokens are HMAC-signed with the ``AUTH_SIGNING_KEY`` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Mapping

from common import JsonLog, Settings, create_service_app, serve
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

TOKEN_LIFETIME = 3600.0


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def create_app(env: Mapping[str, str], log: JsonLog | None = None) -> ASGIApp:
    """The auth service's app."""
    settings = Settings.from_env("auth", env)
    log = log or JsonLog(settings)
    key = env.get("AUTH_SIGNING_KEY", "dev-signing-key").encode()

    async def token(request: Request) -> Response:
        body = await request.json()
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, str) or not user:
            return JSONResponse({"error": 'body must be {"user": "<name>"}'}, status_code=400)
        payload = base64.urlsafe_b64encode(f"{user}:{time.time() + TOKEN_LIFETIME:.0f}".encode()).decode()
        return JSONResponse({"token": f"{payload}.{_sign(key, payload)}", "expires_in": TOKEN_LIFETIME})

    async def validate(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        payload, _, signature = value.partition(".")
        if scheme.lower() != "bearer" or not hmac.compare_digest(_sign(key, payload), signature):
            return JSONResponse({"error": "invalid token"}, status_code=401)
        user, _, expires = base64.urlsafe_b64decode(payload).decode().rpartition(":")
        if float(expires) < time.time():
            return JSONResponse({"error": "token expired"}, status_code=401)
        return JSONResponse({"user": user})

    routes = [Route("/token", token, methods=["POST"]), Route("/validate", validate)]
    return create_service_app(settings, routes, log=log)


if __name__ == "__main__":
    settings = Settings.from_env("auth", os.environ)
    log = JsonLog(settings)
    serve(create_app(os.environ, log), settings, log)
