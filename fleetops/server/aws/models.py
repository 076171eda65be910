"""botocore's own service models: which service a request is for, and its operations' shapes.

The parsers and serializers walk these models, so an operation is served by writing its
handler only, and a field is named exactly as botocore (and so AWS) names it. botocore is
imported with the first model loaded: a control plane that serves no AWS call never pays for it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fleetops.server.aws.errors import AwsError

SERVICES = ("sts", "autoscaling", "ec2", "elbv2", "cloudwatch", "logs", "secretsmanager")
"""The services this module serves (Step Functions has its own module, ``server.sfn``)."""

SIGNING_NAMES = {
    "sts": "sts",
    "autoscaling": "autoscaling",
    "ec2": "ec2",
    "elasticloadbalancing": "elbv2",
    "monitoring": "cloudwatch",
    "logs": "logs",
    "secretsmanager": "secretsmanager",
}
"""The SigV4 credential scope's service (the endpoint prefix) -> botocore's service name."""


@cache
def _loader() -> Any:
    from botocore.loaders import Loader

    return Loader()


@cache
def service_model(name: str) -> Any:
    """botocore's ``ServiceModel`` of ``name`` (loaded once)."""
    from botocore.model import ServiceModel

    return ServiceModel(_loader().load_service_model(name, "service-2"), name)


def by_target_prefix(prefix: str) -> str | None:
    """The service whose model's ``targetPrefix`` is ``prefix``: what the JSON protocol's
    ``X-Amz-Target`` starts with (``Logs_20140328``) and a ``smithy-rpc-v2-cbor`` path names
    (``/service/GraniteServiceVersion20100801/operation/...``)."""
    for name in SERVICES:
        if service_model(name).metadata.get("targetPrefix") == prefix:
            return name
    return None


def operation_model(service: str, operation: str, code: str) -> Any:
    """The operation's model; ``code`` (the protocol's word for it) when the service has none."""
    model = service_model(service)
    from botocore.model import OperationNotFoundError  # loaded with the model

    try:
        return model.operation_model(operation)
    except OperationNotFoundError:
        raise AwsError(code, f"{service} has no operation {operation!r}") from None


def error_code(service: str, name: str) -> tuple[str, int, bool]:
    """``(code, HTTP status, sender fault)`` of the error shape ``name`` of ``service`` (its
    model's ``error`` trait), or ``(name, 400, True)`` for a generic code such as ValidationError."""
    model = service_model(service)
    if name in model.shape_names:
        shape = model.shape_for(name)
        trait = shape.metadata.get("error") or {}
        if shape.metadata.get("exception"):
            return (
                str(trait.get("code", name)),
                int(trait.get("httpStatusCode", 400)),
                bool(trait.get("senderFault", True)),
            )
    return name, 400, True
