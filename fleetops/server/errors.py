"""HTTP errors of the API, all with the body ``{"error": CODE, "message": TEXT}``.

fleetops errors map onto statuses the CLI client maps back to the same exit codes:
``BadInput`` -> 400 (exit 2), ``Refused`` -> 423 (exit 3), any other ``FleetopsError`` -> 500
(exit 1). Authentication and authorisation failures are 401 and 403 (exit 4), ``Forbidden`` (this
caller may not, whatever its role: approving their own deployment) 403.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from fleetops.errors import BadInput, FleetopsError, Forbidden, Refused
from fleetops.redaction import is_secret_key

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    423: "refused",
    500: "internal",
}


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: str = Field(description="A short code: bad_input, unauthenticated, forbidden, refused...")
    message: str = Field(description="What was wrong, where, and what was expected.")
    problems: list[str] | None = Field(None, description="Every problem, when there were several.")


_MEANINGS = {
    400: "Bad input: an unknown name, a value out of range, JSON nested too deeply (CLI exit 2).",
    401: "No API token, or an unknown, revoked or expired one (CLI exit 4).",
    403: "The token's role is below the one the route needs (CLI exit 4).",
    404: "The named resource does not exist.",
    409: "Conflict: the server runs no fleet, or the resource is in a state that forbids it.",
    413: "The request body is larger than the route accepts (1 MiB; 64 MiB for an import).",
    422: "The request does not match its schema: a missing, unknown or mistyped member (CLI exit 2).",
    423: "Refused by the fleet's state: a held lock, maintenance, a blocked service (CLI exit 3).",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of errors a router or route answers with (``APIRouter(responses=)``)."""
    return {status: {"model": ErrorBody, "description": _MEANINGS[status]} for status in statuses}


AUTHENTICATED = (400, 401, 403, 413, 422)
"""What any route behind a token may answer: bad input, no or a weak token, a body too large."""


class ApiError(Exception):
    """An error a route raises to answer with ``status`` and a JSON error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error: str | None = None,
        problems: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error or _CODES.get(status, "error")
        self.problems = list(problems) if problems else None
        self.headers = dict(headers) if headers else None

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.problems:
            body["problems"] = self.problems
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the app can produce answer with the JSON error body."""

    async def on_api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def on_http_exception(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return ApiError(exc.status_code, str(exc.detail), headers=exc.headers).response()

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [describe_validation_error(error) for error in exc.errors()]
        return ApiError(422, "invalid request: " + "; ".join(problems), problems=problems).response()

    async def on_fleetops_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FleetopsError)
        if isinstance(exc, BadInput):
            return ApiError(400, exc.message, error="bad_input", problems=exc.problems).response()
        if isinstance(exc, Forbidden):
            return ApiError(403, exc.message).response()
        if isinstance(exc, Refused):
            return ApiError(423, exc.message).response()
        return ApiError(500, exc.message, error="failed").response()

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in an API call", exc_info=exc)
        return ApiError(
            500, f"internal error ({type(exc).__name__}); the server log has the details"
        ).response()

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(FleetopsError, on_fleetops_error)
    app.add_exception_handler(Exception, on_unexpected)


def describe_validation_error(error: Mapping[str, Any]) -> str:
    """One pydantic/FastAPI validation error as ``where: what was expected (got VALUE)``."""
    location = [str(part) for part in error.get("loc", ())]
    where = ".".join(location) or "request"
    text = f"{where}: {error.get('msg', 'invalid value')}"
    given = error.get("input")
    field = location[-1] if location else ""
    # Echo the bad value to help the caller, except a missing one or one that may be a secret.
    if error.get("type") != "missing" and not is_secret_key(field) and _short_scalar(given):
        text += f" (got {given!r})"
    return text


def _short_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(repr(value)) <= 80
