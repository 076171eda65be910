"""``/tokens``: create (the token is shown once), list and revoke API tokens (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from fleetops.server.auth import Principal, Role, new_token, require, token_digest
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, ApiError, error_responses
from fleetops.server.request_models import EnumText, StrictModel
from fleetops.store.tokens import LastTokenOfRole, TokenNameTaken, TokenRecord

router = APIRouter(tags=["tokens"], responses=error_responses(*AUTHENTICATED, 404, 409))
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


class TokenInfo(BaseModel):
    """A token, without its secret."""

    name: str
    role: Role
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, record: TokenRecord) -> TokenInfo:
        return cls(
            name=record.name,
            role=Role(record.role),
            created_at=record.created_at,
            created_by=record.created_by,
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
    body: TokenCreate, store: StoreDep, caller: Annotated[Principal, Depends(admin)]
) -> TokenCreated:
    """Create a token with a role; the response holds the token, which is not stored."""
    token = new_token()
    try:
        record = store.tokens.add(
            name=body.name, role=body.role, token_sha256=token_digest(token), created_by=caller.name
        )
    except TokenNameTaken as err:
        raise ApiError(
            409, f"a token named {body.name!r} already exists: revoke it first or pick another name"
        ) from err
    return TokenCreated(**TokenInfo.of(record).model_dump(), token=token)


@router.get("/tokens", name="tokens.list", dependencies=[Depends(admin)])
def list_tokens(store: StoreDep) -> TokenList:
    """Every token's name, role and creation."""
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
