"""The API token repository: names, roles and sha256 digests of bearer tokens (never the tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from fleetops.store.sessions import Sessions
from fleetops.store.tables import tokens


class TokenNameTaken(Exception):
    """A token with this name already exists."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a token named {name!r} already exists")
        self.name = name


class LastTokenOfRole(Exception):
    """Deleting this token would leave no token of its role."""

    def __init__(self, name: str, role: str) -> None:
        super().__init__(f"{name!r} is the last {role} token")
        self.name = name
        self.role = role


@dataclass(frozen=True)
class TokenRecord:
    """A stored token, without its secret."""

    name: str
    role: str
    created_at: datetime
    created_by: str

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready values."""
        return {
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


class TokenRepository:
    """Reads and writes the ``tokens`` table. Reach it as ``store.tokens``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def add(self, *, name: str, role: str, token_sha256: str, created_by: str) -> TokenRecord:
        """Store a new token; raises ``TokenNameTaken`` if ``name`` is in use."""
        row = {
            "name": name,
            "role": role,
            "token_sha256": token_sha256,
            "created_at": datetime.now(UTC),
            "created_by": created_by,
        }
        try:
            with self._store.transaction() as session:
                session.execute(insert(tokens).values(row))
        except IntegrityError as err:
            raise TokenNameTaken(name) from err
        return _record(row)

    def find_by_digest(self, token_sha256: str) -> TokenRecord | None:
        """The token whose sha256 is ``token_sha256``, if any."""
        with self._store.session() as session:
            row = (
                session.execute(select(tokens).where(tokens.c.token_sha256 == token_sha256))
                .mappings()
                .first()
            )
        return None if row is None else _record(dict(row))

    def get(self, name: str) -> TokenRecord | None:
        """The token called ``name``, if any."""
        with self._store.session() as session:
            row = session.execute(select(tokens).where(tokens.c.name == name)).mappings().first()
        return None if row is None else _record(dict(row))

    def list(self) -> list[TokenRecord]:
        """Every token, by name."""
        with self._store.session() as session:
            rows = session.execute(select(tokens).order_by(tokens.c.name)).mappings().all()
        return [_record(dict(row)) for row in rows]

    def count(self, role: str | None = None) -> int:
        """How many tokens exist (with ``role``, when given)."""
        query = select(func.count()).select_from(tokens)
        if role is not None:
            query = query.where(tokens.c.role == role)
        with self._store.session() as session:
            return int(session.execute(query).scalar_one())

    def remove(self, name: str, *, keep_one_of_role: str | None = None) -> bool:
        """Delete the token called ``name``; False if there was none.

        With ``keep_one_of_role``, refuses (raises ``LastTokenOfRole``) to delete the last token
        of that role; the check and the delete are one transaction.
        """
        with self._store.transaction() as session:
            row = session.execute(select(tokens.c.role).where(tokens.c.name == name)).first()
            if row is None:
                return False
            if keep_one_of_role is not None and row.role == keep_one_of_role:
                others = session.execute(
                    select(func.count())
                    .select_from(tokens)
                    .where(tokens.c.role == keep_one_of_role, tokens.c.name != name)
                ).scalar_one()
                if others == 0:
                    raise LastTokenOfRole(name, keep_one_of_role)
            session.execute(delete(tokens).where(tokens.c.name == name))
        return True


def _record(row: dict[str, Any]) -> TokenRecord:
    return TokenRecord(
        name=row["name"], role=row["role"], created_at=row["created_at"], created_by=row["created_by"]
    )
