"""``/tokens``: create (the token is shown once), list and revoke API tokens (admin only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Path
from pydantic import BaseModel, Field

from fleetops.server.auth import Principal, Role, new_token, require, token_digest
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.request_models import EnumText, StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.controls_deps import ClockDep
from fleetops.spec.durations import parse_duration
from fleetops.store.tokens import LastTokenOfRole, TokenNameTaken, TokenRecord

router = RouteTable(tags=["tokens"], responses=error_responses(*AUTHENTICATED, 404, 409))
admin = require(Role.ADMIN)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$"


class TokenCreate(StrictModel):
    """A request for a new token."""

    name: Annotated[
        str,
        Field(
            pattern=NAME_PATTERN,
            description="letters, digits and _ . @ -, at most 100, first a letter or digit",
        ),
    ]
    role: EnumText[Role]
    expires: str | None = Field(
        None, max_length=20, description="Lifetime from now (90d, 12h); none: never expires."
    )


class TokenRotate(StrictModel):
    """A rotation: a new secret; the old one keeps working for ``grace``."""

    grace: str = Field(
        "1h", max_length=20, description="How long the old secret still works (0s: not at all)."
    )


def _duration(field: str, text: str, *, at_least: timedelta) -> timedelta:
    """``text`` as a duration; 400 naming ``field`` otherwise."""
    try:
        value = parse_duration(text)
    except ValueError as err:
        raise ApiError(400, f"{field}: {err}") from err
    if value < at_least:
        raise ApiError(400, f"{field}: {text} is shorter than {at_least.total_seconds():.0f}s")
    return value


class TokenInfo(BaseModel):
    """A token, without its secret."""

    name: str
    role: Role
    created_at: datetime
    created_by: str
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    previous_expires_at: datetime | None = None
    """After a rotation: until when the old secret still works."""

    @classmethod
    def of(cls, record: TokenRecord) -> TokenInfo:
        return cls(
            name=record.name,
            role=Role(record.role),
            created_at=record.created_at,
            created_by=record.created_by,
            last_used_at=record.last_used_at,
            expires_at=record.expires_at,
            previous_expires_at=record.previous_expires_at,
        )


class TokenCreated(TokenInfo):
    """A new token, with its secret: the only time the server returns it."""

    token: str


class TokenList(BaseModel):
    """Every token, by name."""

    tokens: list[TokenInfo]


class TokenRevoked(BaseModel):
    """The token that was revoked."""

    name: str
    revoked: bool


@router.post("/tokens", name="tokens.create", status_code=201)
def create_token(
    body: TokenCreate, store: StoreDep, clock: ClockDep, caller: Annotated[Principal, Depends(admin)]
) -> TokenCreated:
    """Create a token with a role (and a lifetime); the response holds the token, which is not stored."""
    now = clock.now()
    lifetime = (
        None if body.expires is None else _duration("expires", body.expires, at_least=timedelta(minutes=1))
    )
    token = new_token()
    try:
        record = store.tokens.add(
            name=body.name,
            role=body.role,
            token_sha256=token_digest(token),
            created_by=caller.name,
            expires_at=None if lifetime is None else now + lifetime,
            now=now,
        )
    except TokenNameTaken as err:
        raise ApiError(
            409, f"a token named {body.name!r} already exists: revoke it first or pick another name"
        ) from err
    return TokenCreated(**TokenInfo.of(record).model_dump(), token=token)


@router.post("/tokens/{name}/rotate", name="tokens.rotate", dependencies=[Depends(admin)])
def rotate_token(
    name: Annotated[str, Path(max_length=200)], body: TokenRotate, store: StoreDep, clock: ClockDep
) -> TokenCreated:
    """A new secret for the token (shown once); the old one keeps working for ``grace``."""
    grace = _duration("grace", body.grace, at_least=timedelta(0))
    token = new_token()
    record = store.tokens.rotate(name, token_sha256=token_digest(token), grace=grace, now=clock.now())
    if record is None:
        raise ApiError(404, f"no token named {name!r}")
    return TokenCreated(**TokenInfo.of(record).model_dump(), token=token)


@router.get("/tokens", name="tokens.list", dependencies=[Depends(admin)])
def list_tokens(store: StoreDep) -> TokenList:
    """Every token's name, role, creation, last use and expiry."""
    return TokenList(tokens=[TokenInfo.of(record) for record in store.tokens.list()])


@router.delete("/tokens/{name}", name="tokens.revoke", dependencies=[Depends(admin)])
def revoke_token(name: Annotated[str, Path(max_length=200)], store: StoreDep) -> TokenRevoked:
    """Revoke a token: it stops working at once. The last admin token cannot be revoked."""
    try:
        removed = store.tokens.remove(name, keep_one_of_role=Role.ADMIN)
    except LastTokenOfRole as err:
        raise ApiError(
            409, f"{name!r} is the last admin token: create another admin token before revoking it"
        ) from err
    if not removed:
        raise ApiError(404, f"no token named {name!r}")
    return TokenRevoked(name=name, revoked=True)
