"""One Step Functions JSON-protocol call: authenticate, authorise and dispatch it.

The caller is the fleetops token found in the SigV4 ``Authorization`` header's access key id
(``Credential=<token>/<date>/<region>/states/aws4_request``) or in ``Authorization: Bearer``.
The signature itself is not checked: the token is the secret, exactly as with a bearer token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from fleetops.control import ExecutionService
from fleetops.engine import InvalidDefinition
from fleetops.errors import BadInput, FleetopsError, Refused
from fleetops.jsonlimits import TooDeep, loads
from fleetops.redaction import Redactor
from fleetops.server.auth import Principal
from fleetops.server.aws.auth import principal as aws_principal
from fleetops.server.body_limits import RequestBodyRefused
from fleetops.server.sfn.actions import ACTIONS, CALLER, DISCONNECTED
from fleetops.server.sfn.validation import validate_request
from fleetops.store import Store

log = logging.getLogger(__name__)

TARGET_PREFIX = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"


class AwsError(Exception):
    """An error answered in AWS's JSON shape."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def error_response(code: str, message: str, status: int = 400) -> Response:
    """``{"__type": code, "message": message}`` with AWS's content type."""
    body = json.dumps({"__type": code, "message": message})
    return Response(body, status_code=status, media_type=CONTENT_TYPE, headers=_request_id())


def _request_id() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4())}


def caller(request: Request, store: Store) -> Principal:
    """Who sent the request; UnrecognizedClientException (401) when no known token."""
    principal = aws_principal(request, store)
    if principal is None:
        raise AwsError(
            "UnrecognizedClientException",
            "The security token included in the request is invalid: use a fleetops API token as the "
            "access key id (aws_access_key_id=<token>) or send 'Authorization: Bearer <token>'",
            401,
        )
    return principal


# Members that carry JSON as text: decoded for the audit log, so the keys inside are redacted.
_JSON_MEMBERS = ("input", "output", "definition")


def _decoded(body: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(body)
    for member in _JSON_MEMBERS:
        if isinstance(decoded.get(member), str):
            # Not JSON, or too deep: recorded as sent (validation or the action refuses it).
            with contextlib.suppress(ValueError, TooDeep):
                decoded[member] = loads(decoded[member], member)
    return decoded


async def call(request: Request) -> Response:
    """One Step Functions call (``POST /`` dispatches it here: ``fleetops.server.aws.router``);
    the audit log names the action (``executions.start``...)."""
    try:
        return await _call(request)
    except AwsError as err:
        return error_response(err.code, err.message, err.status)
    except RequestBodyRefused as err:
        if err.status_code == 413:
            return error_response("RequestEntityTooLargeException", err.detail, 413)
        return error_response("ValidationException", err.detail)
    except InvalidDefinition as err:
        return error_response("InvalidDefinition", err.message)
    except FleetopsError as err:
        code = getattr(err, "aws_code", None)
        if isinstance(code, str):  # a refusal answers 423, so the audit log says refused
            return error_response(code, err.message, 423 if isinstance(err, Refused) else 400)
        if isinstance(err, Refused):
            return error_response("ConflictException", err.message, 409)
        if isinstance(err, BadInput):
            return error_response("ValidationException", err.message)
        return error_response("InternalFailure", err.message, 500)


async def _call(request: Request) -> Response:
    store: Store = request.app.state.store
    service: ExecutionService = request.app.state.executions
    target = request.headers.get("x-amz-target", "")
    principal = caller(request, store)
    action = ACTIONS.get(target.removeprefix(TARGET_PREFIX)) if target.startswith(TARGET_PREFIX) else None
    if action is None:
        request.state.audit_skip = True
        raise AwsError("UnknownOperationException", f"unknown operation {target!r}")
    if action.audit is None:
        request.state.audit_skip = True
    else:
        request.state.audit_action = action.audit
    if not principal.role.allows(action.role):
        raise AwsError(
            "AccessDeniedException",
            f"token {principal.name!r} has role {principal.role}; {action.name} needs {action.role} or above",
            403,
        )
    try:
        body: Any = json.loads(await request.body() or b"{}")
    except ValueError as err:
        raise AwsError("SerializationException", f"the request body is not JSON: {err}") from err
    if not isinstance(body, dict):
        raise AwsError("SerializationException", "the request body must be a JSON object")
    if action.target is not None and isinstance(body.get(action.target), str):
        request.state.audit_target = body[action.target]
    if action.audit is not None:
        request.state.audit_arguments = _decoded(body)
    validate_request(action.name, body)
    caller_set = CALLER.set(principal)
    disconnected_set = DISCONNECTED.set(request.is_disconnected)
    try:
        answer = await action.run(service, body)
    finally:
        DISCONNECTED.reset(disconnected_set)
        CALLER.reset(caller_set)
    # Histories and causes are redacted when stored; this also covers what was stored before.
    redactor: Redactor = request.app.state.redactor
    return JSONResponse(redactor.value(answer), media_type=CONTENT_TYPE, headers=_request_id())
