"""The AWS endpoints of the control plane: ``POST /`` (query, EC2 and JSON protocols; Step
Functions' calls go on to ``fleetops.server.sfn``) and ``POST /service/<target>/operation/<name>``
(``smithy-rpc-v2-cbor``), where ``AWS_ENDPOINT_URL`` points boto3 and the AWS CLI.

A call is routed as AWS routes it: the SigV4 credential scope's service and the form's
``Action`` (query, EC2), or ``X-Amz-Target`` (JSON), or the path (CBOR). It is authenticated
by its access key id (a fleetops token), authorised by the operation's least role, parsed and
answered by its protocol (``protocols``), and, when it changes something, written to the audit
log as ``<service>.<Operation>`` with its parameters.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from fleetops.errors import BadInput, FleetopsError, Refused
from fleetops.redaction import Redactor
from fleetops.server.app_clock import app_clock
from fleetops.server.aws import (
    autoscaling,
    cloudwatch,
    dashboards,
    ec2,
    elbv2,
    logs,
    policies,
    secret_rotation,
    secretsmanager,
    sts,
)
from fleetops.server.aws.auth import Credential, credential, principal
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.models import SIGNING_NAMES, by_target_prefix, error_code, operation_model
from fleetops.server.aws.operations import OPERATIONS, Call
from fleetops.server.aws.protocols import CBOR, EC2, JSON, QUERY, Protocol, form_params
from fleetops.server.route_table import RouteTable
from fleetops.server.sfn import call as sfn_call

log = logging.getLogger(__name__)

SERVED = (
    autoscaling,
    cloudwatch,
    dashboards,
    ec2,
    elbv2,
    logs,
    policies,
    secret_rotation,
    secretsmanager,
    sts,
)
"""The modules whose handlers register themselves (imported for that)."""

router = RouteTable(tags=["aws"])

_SFN_TARGET = "AWSStepFunctions."
_UNKNOWN_OPERATION = {"query": "InvalidAction", "ec2": "InvalidAction"}
_UNAUTHENTICATED = {"query": "InvalidClientTokenId", "ec2": "AuthFailure"}
_DENIED = {"query": "AccessDenied", "ec2": "UnauthorizedOperation"}


@dataclass(frozen=True)
class Incoming:
    """One AWS call as it arrived: for which service and operation, in which protocol."""

    request: Request
    credential: Credential
    service: str | None
    protocol: Protocol
    operation: str
    body: bytes
    params: dict[str, str]


@router.post("/", name="aws.call", include_in_schema=False)
async def root(request: Request) -> Response:
    """A query, EC2 or JSON protocol call (Step Functions' go to ``fleetops.server.sfn``)."""
    found = credential(request)
    target = request.headers.get("x-amz-target", "")
    if target.startswith(_SFN_TARGET) or found.service == "states":
        return await sfn_call(request)
    body = await request.body()
    if target:
        prefix, _, name = target.partition(".")
        return await _serve(Incoming(request, found, by_target_prefix(prefix), JSON, name, body, {}))
    params = form_params(body)
    service = SIGNING_NAMES.get(found.service or "")
    protocol = EC2 if service == "ec2" else QUERY
    return await _serve(Incoming(request, found, service, protocol, params.get("Action", ""), body, params))


@router.post("/service/{target}/operation/{name}", name="aws.cbor", include_in_schema=False)
async def cbor_call(request: Request, target: str, name: str) -> Response:
    """A ``smithy-rpc-v2-cbor`` call (CloudWatch)."""
    body = await request.body()
    return await _serve(
        Incoming(request, credential(request), by_target_prefix(target), CBOR, name, body, {})
    )


async def _serve(incoming: Incoming) -> Response:
    request_id = str(uuid.uuid4())
    incoming.request.state.audit_skip = True  # until the call is known to be a change
    protocol, service = incoming.protocol, incoming.service
    try:
        if service is None:
            raise AwsError(
                _UNKNOWN_OPERATION.get(protocol.name, "UnknownOperationException"),
                "no AWS service served here matches the request (sign it with SigV4 for one of "
                f"{', '.join(sorted(SIGNING_NAMES))}, or send X-Amz-Target)",
            )
        return await _run(incoming, service, request_id)
    except AwsError as err:
        return _error(incoming, err.code, err.message, err.status, request_id)
    except BadInput as err:
        return _error(incoming, protocol.validation_code(service or ""), err.message, 400, request_id)
    except Refused as err:
        return _error(incoming, "OperationNotPermitted", err.message, 423, request_id)
    except FleetopsError as err:
        return _error(incoming, "InternalFailure", err.message, 500, request_id)


async def _run(incoming: Incoming, service: str, request_id: str) -> Response:
    request, protocol, name = incoming.request, incoming.protocol, incoming.operation
    caller = principal(request, request.app.state.store)
    if caller is None:
        raise AwsError(
            _UNAUTHENTICATED.get(protocol.name, "UnrecognizedClientException"),
            "The security token included in the request is invalid: use a fleetops API token as the "
            "access key id (AWS_ACCESS_KEY_ID=<token>; `fleetops aws-env` prints the lines)",
            401,
        )
    unknown = _UNKNOWN_OPERATION.get(protocol.name, "UnknownOperationException")
    model = operation_model(service, name, unknown)
    action = OPERATIONS.get((service, name))
    if action is None:
        served = ", ".join(sorted(op for (svc, op) in OPERATIONS if svc == service))
        raise AwsError(unknown, f"{service} {name} is not served by fleetops (it serves: {served})")
    if action.audited:
        request.state.audit_skip = False
        request.state.audit_action = action.audit_action
    if not caller.role.allows(action.role):
        raise AwsError(
            _DENIED.get(protocol.name, "AccessDeniedException"),
            f"token {caller.name!r} has role {caller.role}; {service} {name} needs {action.role} or above",
            403,
        )
    parsed = protocol.parse(model, incoming.body, incoming.params)
    if action.audited:
        request.state.audit_arguments = _json_safe(parsed)
        if action.target is not None and isinstance(parsed.get(action.target), str):
            request.state.audit_target = parsed[action.target]
    call = Call(
        environments=request.app.state.environments,
        store=request.app.state.store,
        principal=caller,
        region=incoming.credential.region,
        request_id=request_id,
        state=request.app.state,
        loop=asyncio.get_running_loop(),
        clock=app_clock(request),
    )
    output = await asyncio.to_thread(action.run, call, parsed)
    # A status reason or a log line may carry what an instance printed: answers are redacted.
    redactor: Redactor = request.app.state.redactor
    return protocol.respond(model, redactor.value(output) if action.redact else output, request_id)


def _error(incoming: Incoming, code: str, message: str, status: int | None, request_id: str) -> Response:
    protocol, service = incoming.protocol, incoming.service
    if code in ("ValidationError", "ValidationException") and service is not None:
        code = protocol.validation_code(service)
    resolved, model_status, sender = error_code(service, code) if service else (code, 400, True)
    return protocol.error(resolved, message, status or model_status, request_id, sender=sender)


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
