"""The one place mutating API calls are written to the audit log (an ASGI middleware).

Every POST/PUT/PATCH/DELETE that reaches a route is recorded with: who (the token's name, or
``anonymous``), what (the route's ``name``, e.g. ``tokens.create``), the target (the path below
``/api/v1/``), the arguments (JSON body and query, redacted and clipped to a small summary by
:mod:`fleetops.server.audit_arguments`) and the outcome (from the status: success, refused for
401/403/423, bad_input for other 4xx, failed for 5xx, with the error body's ``message``; for an
unknown or revoked token, its first characters). The entry is written before the response is
sent. A route that serves several calls (the Step Functions protocol at ``/``) names the call it
served in ``request.state.audit_action``/``audit_target``/``audit_arguments``, or sets
``audit_skip`` for a read.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fleetops.jsonlimits import TooDeep, loads
from fleetops.server.audit_arguments import summarize
from fleetops.store import Outcome, Store

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/v1/"
ANONYMOUS = "anonymous"
MAX_TARGET = 256


class AuditMiddleware:
    """Records every mutating call to a known route in ``store.audit``."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING_METHODS:
            await self.app(scope, receive, send)
            return
        call = _Call(scope)

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                call.request_body += message.get("body", b"")
            return message

        async def record_then_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                call.status = message["status"]
            elif message["type"] == "http.response.body":
                if call.status >= 400:
                    call.response_body += message.get("body", b"")
                if not message.get("more_body", False):
                    await self._record(call, scope)
            await send(message)

        try:
            await self.app(scope, receive_and_keep, record_then_send)
        except Exception as err:
            if not call.recorded:
                call.status = 500
                call.failure = f"internal error ({type(err).__name__})"
                await self._record(call, scope)
            raise

    async def _record(self, call: _Call, scope: Scope) -> None:
        call.recorded = True
        route: BaseRoute | None = scope.get("route")
        if route is None or scope["method"] not in (getattr(route, "methods", None) or ()):
            return  # no route took the call (404, 405): nothing was attempted
        state = scope.get("state", {})
        if state.get("audit_skip"):
            return  # a route serving several calls (the Step Functions protocol) said: a read
        principal = state.get("principal")
        outcome, error = call.outcome()
        await run_in_threadpool(
            self.store.audit.record,
            actor=principal.name if principal is not None else ANONYMOUS,
            # A route serving several calls names the one it served in request.state.
            action=state.get("audit_action") or getattr(route, "name", None) or scope["path"],
            target=_clipped_target(state.get("audit_target") or _target(scope["path"])),
            # A route may give the arguments decoded further (JSON text members parsed) so that
            # secrets inside them are redacted too.
            arguments=summarize(state.get("audit_arguments") or call.arguments()),
            outcome=outcome,
            error=_with_token_tried(error, state.get("token_tried")),
        )


class _Call:
    """What the middleware learns about one call as it passes through."""

    def __init__(self, scope: Scope) -> None:
        self.query_string: bytes = scope.get("query_string", b"")
        self.request_body = b""
        self.status = 500
        self.response_body = b""
        self.failure: str | None = None
        self.recorded = False

    def arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        if self.request_body:
            try:
                body = loads(self.request_body, "the request body")
            except (ValueError, TooDeep):
                body = f"<{len(self.request_body)} bytes, not JSON>"
            arguments = dict(body) if isinstance(body, dict) else {"body": body}
        query = parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True)
        if query:
            arguments["query"] = dict(query)
        return arguments

    def outcome(self) -> tuple[Outcome, str | None]:
        if self.status < 400:
            return Outcome.SUCCESS, None
        if self.failure is not None:
            return Outcome.FAILED, self.failure
        message = _error_message(self.response_body) or f"HTTP {self.status}"
        if self.status in (401, 403, 423):
            return Outcome.REFUSED, message
        if self.status < 500:
            return Outcome.BAD_INPUT, message
        return Outcome.FAILED, message


def _error_message(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    message = parsed.get("message") if isinstance(parsed, dict) else None
    return message if isinstance(message, str) else None


def _with_token_tried(error: str | None, token_tried: str | None) -> str | None:
    # A refused call with an unknown or revoked token names the token's first characters, so
    # that an operator can tell which (old, leaked, mistyped) token is being tried.
    if token_tried is None:
        return error
    return f"{error or 'refused'} (token tried: {token_tried}…)"


def _clipped_target(target: str) -> str:
    # A target comes from the request (a path, a name in the body): refused ones may be long.
    return target if len(target) <= MAX_TARGET else f"{target[:MAX_TARGET]}…"


def _target(path: str) -> str:
    return path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path
