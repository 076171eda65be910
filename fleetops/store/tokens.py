"""The API token repository: names, roles and sha256 digests of bearer tokens (never the tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
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
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    """None: never expires."""
    previous_expires_at: datetime | None = None
    """After a rotation: until when the old secret still works."""
    rotated_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        """Whether it no longer authenticates."""
        return self.expires_at is not None and self.expires_at <= now

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready values."""

        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "last_used_at": iso(self.last_used_at),
            "expires_at": iso(self.expires_at),
            "previous_expires_at": iso(self.previous_expires_at),
            "rotated_at": iso(self.rotated_at),
        }


class TokenRepository:
    """Reads and writes the ``tokens`` table. Reach it as ``store.tokens``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def add(
        self,
        *,
        name: str,
        role: str,
        token_sha256: str,
        created_by: str,
        expires_at: datetime | None = None,
        now: datetime | None = None,
    ) -> TokenRecord:
        """Store a new token; raises ``TokenNameTaken`` if ``name`` is in use."""
        row = {
            "name": name,
            "role": role,
            "token_sha256": token_sha256,
            "created_at": now or datetime.now(UTC),
            "created_by": created_by,
            "expires_at": expires_at,
        }
        try:
            with self._store.transaction() as session:
                session.execute(insert(tokens).values(row))
        except IntegrityError as err:
            raise TokenNameTaken(name) from err
        return _record(row)

    def find_by_digest(self, token_sha256: str, *, now: datetime | None = None) -> TokenRecord | None:
        """The token whose sha256 is ``token_sha256``, or whose previous secret it is while that
        is in its grace period, if any and not expired (at ``now``)."""
        at = now or datetime.now(UTC)
        query = select(tokens).where(
            or_(
                tokens.c.token_sha256 == token_sha256,
                (tokens.c.previous_sha256 == token_sha256) & (tokens.c.previous_expires_at > at),
            ),
            or_(tokens.c.expires_at.is_(None), tokens.c.expires_at > at),
        )
        with self._store.session() as session:
            row = session.execute(query).mappings().first()
        return None if row is None else _record(dict(row))

    def mark_used(self, name: str, *, now: datetime, resolution: timedelta) -> None:
        """Record that ``name`` authenticated a request at ``now``, unless it was recorded less
        than ``resolution`` before (one write a minute, not one a request)."""
        query = (
            update(tokens)
            .where(
                tokens.c.name == name,
                or_(tokens.c.last_used_at.is_(None), tokens.c.last_used_at <= now - resolution),
            )
            .values(last_used_at=now)
        )
        with self._store.transaction() as session:
            session.execute(query)

    def rotate(self, name: str, *, token_sha256: str, grace: timedelta, now: datetime) -> TokenRecord | None:
        """Give ``name`` a new secret; the current one keeps working for ``grace``. None when no
        token has that name."""
        with self._store.transaction() as session:
            row = session.execute(select(tokens.c.token_sha256).where(tokens.c.name == name)).first()
            if row is None:
                return None
            session.execute(
                update(tokens)
                .where(tokens.c.name == name)
                .values(
                    token_sha256=token_sha256,
                    previous_sha256=row.token_sha256,
                    previous_expires_at=now + grace,
                    rotated_at=now,
                )
            )
        return self.get(name)

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
        name=row["name"],
        role=row["role"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        last_used_at=row.get("last_used_at"),
        expires_at=row.get("expires_at"),
        previous_expires_at=row.get("previous_expires_at"),
        rotated_at=row.get("rotated_at"),
    )
