"""Request bodies are bounded before anything parses or records them (an ASGI middleware).

A body larger than its route's limit is refused with 413 as soon as its declared length (or
the bytes received so far) says so, without reading the rest; a JSON body nesting deeper than
:data:`fleetops.jsonlimits.MAX_DEPTH` is refused with 400 before it is parsed. Both are raised
as :class:`RequestBodyRefused` from the body's ``receive``, that is inside the route that reads
the body: the REST error handlers answer them as JSON errors, the Step Functions route in AWS's
shape, and the audit middleware (outside this one) records the call without the body.

Limits: 1 MiB for a REST body; 64 MiB for ``POST /api/v1/executions/import`` (an export of
many executions, read only after the caller is known to be an admin); 4 MiB for the Step
Functions endpoint, whose members then have AWS's own limits (256 KiB inputs, 1 MiB
definitions: :mod:`fleetops.server.sfn.validation`).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fleetops.jsonlimits import MAX_DEPTH, exceeds_depth

REST_BODY_LIMIT = 1024 * 1024
IMPORT_BODY_LIMIT = 64 * 1024 * 1024
SFN_BODY_LIMIT = 4 * 1024 * 1024
IMPORT_PATH = "/api/v1/executions/import"
SFN_PATH = "/"


class RequestBodyRefused(HTTPException):
    """A body refused before it was parsed (413 too large, 400 too deep)."""


def body_limit(path: str) -> int:
    """The most bytes a request to ``path`` may carry."""
    if path == IMPORT_PATH:
        return IMPORT_BODY_LIMIT
    if path == SFN_PATH:
        return SFN_BODY_LIMIT
    return REST_BODY_LIMIT


def too_large(size: int, limit: int) -> RequestBodyRefused:
    """The error for a body of (at least) ``size`` bytes over ``limit``."""
    return RequestBodyRefused(
        413, f"the request body ({size} bytes or more) is larger than this endpoint accepts ({limit} bytes)"
    )


TOO_DEEP = f"the request body nests deeper than {MAX_DEPTH} levels of arrays and objects (the limit)"


class BodyLimitMiddleware:
    """Applies :func:`body_limit` and the nesting limit to every HTTP request body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, _LimitedBody(scope, receive), send)


class _LimitedBody:
    """A ``receive`` that delivers the whole body at once, or raises :class:`RequestBodyRefused`."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.receive = receive
        self.limit = body_limit(scope["path"])
        self.declared = _content_length(scope)
        self.delivered = False

    async def __call__(self) -> Message:
        if self.delivered:
            return await self.receive()  # after the body: the disconnect, when it comes
        if self.declared is not None and self.declared > self.limit:
            raise too_large(self.declared, self.limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                return message  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise too_large(size, self.limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        self.delivered = True
        body = b"".join(chunks)
        if exceeds_depth(body):
            raise RequestBodyRefused(400, TOO_DEEP)
        return {"type": "http.request", "body": body, "more_body": False}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
