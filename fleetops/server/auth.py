"""Bearer-token authentication and role-based authorisation of the API.

Roles are ordered ``viewer < operator < admin``; a route declares the least role it needs with
``Depends(require(Role.OPERATOR))`` (or ``dependencies=[...]``). Tokens are random strings shown
once at creation; the store keeps only their sha256. On first start, when there is no token at
all, the server creates an ``admin`` token and writes it to ``<state_dir>/token`` (mode 0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from fleetops.server.app_clock import app_clock
from fleetops.server.deps import StoreDep
from fleetops.server.errors import ApiError
from fleetops.server.roles import Role
from fleetops.server.settings import TOKEN_FILE
from fleetops.store import Store
from fleetops.store.tokens import TokenNameTaken

__all__ = [
    "Principal",
    "Role",
    "RoleGuard",
    "authenticate",
    "ensure_admin_token",
    "identify",
    "new_token",
    "read_token_file",
    "require",
    "token_digest",
    "token_tried",
]

TOKEN_PREFIX = "fo_"
BOOTSTRAP_TOKEN_NAME = "admin"
SERVER_ACTOR = "fleetops-server"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name and role."""

    name: str
    role: Role


LAST_USE_RESOLUTION = timedelta(minutes=1)
"""A token's last use is written at most this often (not a write per request)."""


def new_token() -> str:
    """A new random token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_tried(token: str) -> str:
    """The first characters of a token that was refused, for the audit log: ``fo_`` and six more
    (36 of its 256 random bits; printable characters only)."""
    start = token[: len(TOKEN_PREFIX) + 6] if token.startswith(TOKEN_PREFIX) else token[:6]
    return "".join(char if char.isprintable() else "?" for char in start)


def token_digest(token: str) -> str:
    """The sha256 (hex) the store keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


_bearer = HTTPBearer(auto_error=False, description="A fleetops API token (`fleetops token create`).")


def authenticate(
    request: Request,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller behind the request's bearer token; 401 without one or with an unknown one."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiError(
            401,
            "no API token: send 'Authorization: Bearer <token>' (fleetops token create)",
            headers=challenge,
        )
    principal = identify(request, store, credentials.credentials)
    if principal is None:
        raise ApiError(401, "the API token is not valid (unknown, revoked or expired)", headers=challenge)
    return principal


def identify(request: Request, store: Store, token: str) -> Principal | None:
    """The caller whose token ``token`` is (None: unknown, revoked or expired), its last use
    recorded; every way in (bearer, the AWS protocols' access key id) comes through here.

    The audit log reads the caller from ``request.state.principal``, or the first characters of
    a refused token from ``request.state.token_tried``.
    """
    now = app_clock(request).now()
    record = store.tokens.find_by_digest(token_digest(token), now=now)
    if record is None:
        request.state.token_tried = token_tried(token)
        return None
    store.tokens.mark_used(record.name, now=now, resolution=LAST_USE_RESOLUTION)
    principal = Principal(record.name, Role(record.role))
    request.state.principal = principal
    return principal


class RoleGuard:
    """The dependency ``require(role)`` returns: admits ``role`` and above, 403 for the others."""

    def __init__(self, role: Role) -> None:
        self.role = role

    def __call__(self, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.role.allows(self.role):
            raise ApiError(
                403, f"token {principal.name!r} has role {principal.role}; this needs {self.role} or above"
            )
        return principal

    def __repr__(self) -> str:
        return f"require({self.role})"


@cache
def require(role: Role) -> RoleGuard:
    """A dependency admitting callers whose role is ``role`` or above, returning the ``Principal``.

    Use it as ``Depends(require(Role.OPERATOR))``; the same role always gives the same guard.
    """
    return RoleGuard(role)


def ensure_admin_token(store: Store, state_dir: Path) -> Path | None:
    """On first start (no token exists), create the ``admin`` token and write it to ``state_dir/token``.

    Returns the file written, or None when tokens already exist. Two servers starting on one
    fresh database race safely: one creates the token, the other finds the name taken.
    """
    if store.tokens.count() > 0:
        return None
    token = new_token()
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / TOKEN_FILE
    pending = state_dir / f".{TOKEN_FILE}.{os.getpid()}"
    # Written before the token is stored, moved in place after: no window where the token
    # works but its file is missing or partly written.
    fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    try:
        store.tokens.add(
            name=BOOTSTRAP_TOKEN_NAME,
            role=Role.ADMIN,
            token_sha256=token_digest(token),
            created_by=SERVER_ACTOR,
        )
    except TokenNameTaken:
        pending.unlink()
        return None
    os.replace(pending, path)
    store.audit.record(
        actor=SERVER_ACTOR,
        action="tokens.bootstrap",
        target=f"tokens/{BOOTSTRAP_TOKEN_NAME}",
        arguments={"role": str(Role.ADMIN), "file": str(path)},
    )
    return path


def read_token_file(state_dir: Path) -> str | None:
    """The token in ``state_dir/token``, if the file exists."""
    with contextlib.suppress(FileNotFoundError):
        return (state_dir / TOKEN_FILE).read_text().strip() or None
    return None
