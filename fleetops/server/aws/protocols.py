"""One request parser and one response serializer per AWS protocol the control plane speaks.

``Protocol.parse`` turns a request into the operation's input as a plain dict (checked against
botocore's input shape); ``respond`` turns a handler's plain dict into the body botocore parses
as AWS's; ``error`` answers an ``AwsError`` in the protocol's error shape. The protocol is chosen
by the request, as AWS chooses it: form parameters (``query``, ``ec2``), ``X-Amz-Target`` with
``application/x-amz-json-1.x`` (``json``), ``/service/<target>/operation/<name>`` with
``smithy-protocol: rpc-v2-cbor`` (``smithy-rpc-v2-cbor``: CloudWatch in current botocore).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import Response

from fleetops.server.aws import cbor, documents, query
from fleetops.server.aws.errors import AwsError

# The code a validation error has in each service (their models name it; AWS's query services
# say ValidationError, its JSON services ValidationException).
_VALIDATION = {
    "ec2": "InvalidParameterValue",
    "cloudwatch": "InvalidParameterValue",
    "logs": "InvalidParameterException",
    "secretsmanager": "InvalidParameterException",
}


@dataclass(frozen=True)
class Protocol:
    """A protocol: how requests are read, answers and errors written."""

    name: str

    def validation_code(self, service: str) -> str:
        """The code of a validation error of ``service`` in this protocol."""
        return _VALIDATION.get(service, "ValidationError")

    def parse(self, operation: Any, body: bytes, params: dict[str, str]) -> dict[str, Any]:
        """The operation's input as plain values."""
        raise NotImplementedError

    def respond(self, operation: Any, output: dict[str, Any], request_id: str) -> Response:
        """A successful answer."""
        raise NotImplementedError

    def error(self, code: str, message: str, status: int, request_id: str, *, sender: bool) -> Response:
        """An error answer."""
        raise NotImplementedError


def form_params(body: bytes) -> dict[str, str]:
    """The form parameters of a query or EC2 request body."""
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


class QueryProtocol(Protocol):
    """``query`` (Auto Scaling, ELBv2, STS; CloudWatch for older clients) and ``ec2``."""

    @property
    def ec2(self) -> bool:
        return self.name == "ec2"

    def parse(self, operation: Any, body: bytes, params: dict[str, str]) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        result: dict[str, Any] = query.read_params(shape, params, ec2=self.ec2)
        return result

    def respond(self, operation: Any, output: dict[str, Any], request_id: str) -> Response:
        body = query.response_xml(operation, output, request_id, ec2=self.ec2)
        return Response(body, media_type="text/xml", headers={"x-amzn-RequestId": request_id})

    def error(self, code: str, message: str, status: int, request_id: str, *, sender: bool) -> Response:
        body = query.error_xml(code, message, request_id, sender=sender, ec2=self.ec2)
        return Response(
            body, status_code=status, media_type="text/xml", headers={"x-amzn-RequestId": request_id}
        )


class JsonProtocol(Protocol):
    """``json`` 1.0 and 1.1 (CloudWatch Logs, Secrets Manager, Step Functions)."""

    def validation_code(self, service: str) -> str:
        return _VALIDATION.get(service, "ValidationException")

    def content_type(self, operation: Any) -> str:
        return f"application/x-amz-json-{operation.service_model.metadata.get('jsonVersion', '1.0')}"

    def parse(self, operation: Any, body: bytes, params: dict[str, str]) -> dict[str, Any]:
        try:
            decoded = json.loads(body or b"{}")
        except ValueError as err:
            raise AwsError("SerializationException", f"the request body is not JSON: {err}") from None
        shape = operation.input_shape
        if shape is None:
            return {}
        result: dict[str, Any] = documents.read(shape, decoded, cbor=False)
        return result

    def respond(self, operation: Any, output: dict[str, Any], request_id: str) -> Response:
        shape = operation.output_shape
        document = {} if shape is None else documents.write(shape, output, cbor=False)
        return Response(
            json.dumps(document),
            media_type=self.content_type(operation),
            headers={"x-amzn-RequestId": request_id},
        )

    def error(self, code: str, message: str, status: int, request_id: str, *, sender: bool) -> Response:
        return Response(
            json.dumps({"__type": code, "message": message}),
            status_code=status,
            media_type="application/x-amz-json-1.1",
            headers={"x-amzn-RequestId": request_id},
        )


class CborProtocol(Protocol):
    """``smithy-rpc-v2-cbor``: the body a CBOR map; errors also name the query code
    (``x-amzn-query-error``), which botocore reads for services that were query services."""

    _HEADERS = {"smithy-protocol": "rpc-v2-cbor"}

    def parse(self, operation: Any, body: bytes, params: dict[str, str]) -> dict[str, Any]:
        try:
            decoded = cbor.loads(body) if body else {}
        except cbor.CborError as err:
            raise AwsError("SerializationException", f"the request body is not CBOR: {err}") from None
        shape = operation.input_shape
        if shape is None:
            return {}
        result: dict[str, Any] = documents.read(shape, decoded, cbor=True)
        return result

    def respond(self, operation: Any, output: dict[str, Any], request_id: str) -> Response:
        shape = operation.output_shape
        document = {} if shape is None else documents.write(shape, output, cbor=True)
        return Response(
            cbor.dumps(document),
            media_type="application/cbor",
            headers={**self._HEADERS, "x-amzn-RequestId": request_id},
        )

    def error(self, code: str, message: str, status: int, request_id: str, *, sender: bool) -> Response:
        headers = {
            **self._HEADERS,
            "x-amzn-RequestId": request_id,
            "x-amzn-query-error": f"{code};{'Sender' if sender else 'Receiver'}",
        }
        return Response(
            cbor.dumps({"__type": code, "message": message}),
            status_code=status,
            media_type="application/cbor",
            headers=headers,
        )


QUERY = QueryProtocol("query")
EC2 = QueryProtocol("ec2")
JSON = JsonProtocol("json")
CBOR = CborProtocol("smithy-rpc-v2-cbor")
