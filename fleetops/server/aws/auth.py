"""Who calls an AWS endpoint, and for which service and region: the SigV4 ``Authorization``
header's credential (``Credential=<token>/<date>/<region>/<service>/aws4_request``).

The access key id is a fleetops API token; the signature is not checked: the token is the
secret, exactly as with a bearer token (``Authorization: Bearer <token>`` is accepted too).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from fleetops.server.auth import Principal, identify
from fleetops.store import Store

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Credential:
    """What the request's Authorization header says."""

    token: str | None
    region: str = DEFAULT_REGION
    service: str | None = None
    """The credential scope's service (``autoscaling``, ``monitoring``, ``states``...)."""


def credential(request: Request) -> Credential:
    """The request's credential (token None without an Authorization header)."""
    header = request.headers.get("authorization", "")
    scheme, _, rest = header.partition(" ")
    if scheme.lower() == "bearer":
        return Credential(rest.strip() or None)
    if scheme == "AWS4-HMAC-SHA256":
        for part in rest.split(","):
            key, _, value = part.strip().partition("=")
            if key == "Credential":
                fields = value.split("/")
                token = fields[0] or None
                if len(fields) == 5:
                    return Credential(token, fields[2] or DEFAULT_REGION, fields[3] or None)
                return Credential(token)
    return Credential(None)


def access_token(request: Request) -> str | None:
    """The token in the request's Authorization header (SigV4 access key id, or bearer)."""
    return credential(request).token


def principal(request: Request, store: Store) -> Principal | None:
    """The caller behind the request's token (None: no token, or not a valid one); kept in
    ``request.state.principal`` for the audit log."""
    token = access_token(request)
    # As a bearer token: expiry and the rotation's grace period on the app's clock, last use recorded.
    return None if token is None else identify(request, store, token)
