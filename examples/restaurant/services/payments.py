"""payments: charges an amount for an order.

POST /charges {"order_id", "amount_cents"} -> {"charge_id", "status", "key_fingerprint"}.
The provider API key comes from the ``PAYMENTS_API_KEY`` secret; only a fingerprint of it is
ever shown (in /health and charges), so a rotation can be seen to have been picked up.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Mapping

from common import JsonLog, Settings, create_service_app, serve
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp


def create_app(env: Mapping[str, str], log: JsonLog | None = None) -> ASGIApp:
    """The payments service's app."""
    settings = Settings.from_env("payments", env)
    log = log or JsonLog(settings)
    api_key = env.get("PAYMENTS_API_KEY", "")
    fingerprint = hashlib.sha256(api_key.encode()).hexdigest()[:12] if api_key else None
    counter = itertools.count(1)

    async def charge(request: Request) -> Response:
        body = await request.json()
        amount = body.get("amount_cents") if isinstance(body, dict) else None
        if not isinstance(amount, int) or amount <= 0:
            return JSONResponse({"error": "amount_cents must be a positive integer"}, status_code=400)
        charge_id = f"ch_{settings.instance}_{next(counter)}"
        log("info", "charged", order_id=body.get("order_id"), amount_cents=amount, charge_id=charge_id)
        return JSONResponse(
            {"charge_id": charge_id, "status": "succeeded", "key_fingerprint": fingerprint},
            status_code=201,
        )

    return create_service_app(
        settings,
        [Route("/charges", charge, methods=["POST"])],
        log=log,
        extra_health=lambda: {"key_fingerprint": fingerprint},
    )


if __name__ == "__main__":
    settings = Settings.from_env("payments", os.environ)
    log = JsonLog(settings)
    serve(create_app(os.environ, log), settings, log)
