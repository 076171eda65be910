"""Secret versions and their staging labels, as Secrets Manager keeps them; values stay encrypted.

Each secret of an environment has versions (an id, when and how it was made, its value as
ciphertext: the store never sees a value in clear) and staging labels, each on one version at
most. Labels move the way Secrets Manager moves them:

- putting a version with ``AWSCURRENT`` (the default) moves ``AWSCURRENT`` to it, and the version
  that held ``AWSCURRENT`` gets ``AWSPREVIOUS`` (taken from the one that held it before);
- putting a version with ``AWSPENDING`` (a rotation's createSecret) leaves ``AWSCURRENT`` alone;
- ``move_stage(AWSCURRENT, ...)`` (a rotation's finishSecret) does the same as a put with it,
  and ``remove_stage`` takes a label off (``AWSPENDING`` once the rotation finished).

A version left with no label is kept (Secrets Manager calls it deprecated): ``history`` and
``versions`` still show it, and a release that pinned it can be told it is gone.
Every change is a row of ``secret_events`` in the same transaction: the secret's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from fleetops.store.sessions import Sessions
from fleetops.store.tables import secret_events, secret_stages, secret_versions

AWSCURRENT = "AWSCURRENT"
AWSPENDING = "AWSPENDING"
AWSPREVIOUS = "AWSPREVIOUS"
STAGES = (AWSCURRENT, AWSPENDING, AWSPREVIOUS)
"""The staging labels, in the order they are shown."""


@dataclass(frozen=True)
class SecretVersion:
    """One version of a secret, without its value."""

    version_id: str
    number: int
    created_at: datetime
    created_by: str
    source: str
    stages: tuple[str, ...]
    username: str | None = None
    """The login the value is the password of (alternating users); None: the datastore's own."""

    @property
    def valid(self) -> bool:
        """Whether the value may still be handed out: a version with no label left was revoked
        (or replaced twice over) and is never given to an instance again."""
        return bool(self.stages)

    def to_json(self) -> dict[str, Any]:
        """The version as JSON-ready values (never the value)."""
        return {
            "version_id": self.version_id,
            "number": self.number,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "source": self.source,
            "stages": list(self.stages),
            "username": self.username,
        }


@dataclass(frozen=True)
class SecretEvent:
    """One line of a secret's history."""

    id: int
    at: datetime
    action: str
    version_id: str | None
    by: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The event as JSON-ready values."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "action": self.action,
            "version_id": self.version_id,
            "by": self.by,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class StagedCiphertext:
    """The ciphertext a staging label points at."""

    name: str
    stage: str
    version_id: str
    ciphertext: bytes


class SecretRepository:
    """Secret versions, labels and history. Reach it as ``store.secrets``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def add_version(
        self,
        environment: str,
        name: str,
        *,
        version_id: str,
        ciphertext: bytes,
        source: str,
        by: str,
        at: datetime,
        stages: Sequence[str] = (AWSCURRENT,),
        username: str | None = None,
    ) -> SecretVersion:
        """Add a version with ``stages`` moved onto it (see the module docstring); ``ValueError``
        for an unknown label or a version id the secret already has."""
        _check_stages(stages)
        with self._store.transaction() as session:
            exists = session.execute(
                select(secret_versions.c.version_id).where(
                    *_of(environment, name), secret_versions.c.version_id == version_id
                )
            ).first()
            if exists is not None:
                raise ValueError(f"secret {name!r} already has a version {version_id!r}")
            last = session.execute(select(func.max(secret_versions.c.number)).where(*_of(environment, name)))
            session.execute(
                insert(secret_versions).values(
                    environment=environment, name=name, version_id=version_id, ciphertext=ciphertext,
                    number=(last.scalar_one_or_none() or 0) + 1,
                    source=source, created_at=at, created_by=by, username=username,
                )
            )  # fmt: skip
            change = _Change(session, environment, name, by, at)
            detail = {"source": source} | ({"username": username} if username else {})
            _event(change, "version.created", version_id, detail)
            for stage in stages:
                _move(change, stage, version_id)
            return _versions(session, environment, name, only=version_id)[0]

    def move_stage(
        self, environment: str, name: str, stage: str, version_id: str, *, by: str, at: datetime
    ) -> None:
        """Put ``stage`` on ``version_id`` (``AWSCURRENT``'s old holder gets ``AWSPREVIOUS``);
        ``KeyError`` for a version the secret does not have."""
        _check_stages([stage])
        with self._store.transaction() as session:
            if not _versions(session, environment, name, only=version_id):
                raise KeyError(f"secret {name!r} has no version {version_id!r}")
            _move(_Change(session, environment, name, by, at), stage, version_id)

    def remove_stage(self, environment: str, name: str, stage: str, *, by: str, at: datetime) -> str | None:
        """Take ``stage`` off the version holding it; the version id it was on (None: none)."""
        _check_stages([stage])
        with self._store.transaction() as session:
            held = _holder(session, environment, name, stage)
            if held is None:
                return None
            session.execute(
                delete(secret_stages).where(*_staged(environment, name), secret_stages.c.stage == stage)
            )
            _event(_Change(session, environment, name, by, at), "stage.removed", held, {"stage": stage})
            return held

    def record(
        self, environment: str, name: str, action: str, *, by: str, at: datetime, detail: dict[str, Any]
    ) -> None:
        """Add an event to the secret's history that changes no version (a description set, a
        deletion scheduled or cancelled through the Secrets Manager endpoint)."""
        with self._store.transaction() as session:
            _event(_Change(session, environment, name, by, at), action, None, detail)

    def purge(self, environment: str, name: str) -> int:
        """Remove every version, label and event of the secret (a deletion without recovery);
        how many versions it had."""
        with self._store.transaction() as session:
            session.execute(delete(secret_stages).where(*_staged(environment, name)))
            session.execute(
                delete(secret_events).where(
                    secret_events.c.environment == environment, secret_events.c.name == name
                )
            )
            count = session.execute(select(func.count()).where(*_of(environment, name))).scalar_one()
            session.execute(delete(secret_versions).where(*_of(environment, name)))
            return int(count)

    def note(
        self,
        environment: str,
        name: str,
        action: str,
        version_id: str | None,
        *,
        by: str,
        at: datetime,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Add a line to the secret's history that changes no label (``version.revoked``)."""
        with self._store.transaction() as session:
            _event(_Change(session, environment, name, by, at), action, version_id, detail or {})

    def all_ciphertexts(self, environment: str) -> list[StagedCiphertext]:
        """The ciphertext of every version of every secret of ``environment`` (``stage`` empty):
        a revoked value is still redacted wherever it shows up."""
        with self._store.session() as session:
            rows = session.execute(
                select(secret_versions.c.name, secret_versions.c.version_id, secret_versions.c.ciphertext)
                .where(secret_versions.c.environment == environment)
                .order_by(secret_versions.c.name, secret_versions.c.number)
            )
            return [StagedCiphertext(row.name, "", row.version_id, bytes(row.ciphertext)) for row in rows]

    def names(self, environment: str) -> list[str]:
        """The secrets of ``environment`` that have at least one version, sorted."""
        with self._store.session() as session:
            rows = session.execute(
                select(secret_versions.c.name).where(secret_versions.c.environment == environment).distinct()
            )
            return sorted(row.name for row in rows)

    def versions(self, environment: str, name: str) -> list[SecretVersion]:
        """Every version of the secret, oldest first (empty: no such secret)."""
        with self._store.session() as session:
            return _versions(session, environment, name)

    def stage_version(self, environment: str, name: str, stage: str) -> str | None:
        """The version id ``stage`` is on (None: on none)."""
        with self._store.session() as session:
            return _holder(session, environment, name, stage)

    def ciphertext(self, environment: str, name: str, version_id: str) -> bytes | None:
        """The encrypted value of one version (None: no such version)."""
        with self._store.session() as session:
            value = session.execute(
                select(secret_versions.c.ciphertext).where(
                    *_of(environment, name), secret_versions.c.version_id == version_id
                )
            ).scalar_one_or_none()
            return None if value is None else bytes(value)

    def staged(self, environment: str, stages: Iterable[str]) -> list[StagedCiphertext]:
        """The ciphertexts ``stages`` point at, for every secret of ``environment``."""
        wanted = list(stages)
        with self._store.session() as session:
            rows = session.execute(
                select(
                    secret_stages.c.name, secret_stages.c.stage, secret_stages.c.version_id,
                    secret_versions.c.ciphertext,
                )
                .join(
                    secret_versions,
                    (secret_versions.c.environment == secret_stages.c.environment)
                    & (secret_versions.c.name == secret_stages.c.name)
                    & (secret_versions.c.version_id == secret_stages.c.version_id),
                )
                .where(secret_stages.c.environment == environment, secret_stages.c.stage.in_(wanted))
                .order_by(secret_stages.c.name, secret_stages.c.stage)
            )  # fmt: skip
            return [
                StagedCiphertext(row.name, row.stage, row.version_id, bytes(row.ciphertext)) for row in rows
            ]

    def history(self, environment: str, name: str) -> list[SecretEvent]:
        """The secret's events, oldest first."""
        with self._store.session() as session:
            rows = session.execute(
                select(secret_events)
                .where(secret_events.c.environment == environment, secret_events.c.name == name)
                .order_by(secret_events.c.id)
            )
            return [
                SecretEvent(row.id, row.at, row.action, row.version_id, row.by, dict(row.detail))
                for row in rows
            ]


def _check_stages(stages: Iterable[str]) -> None:
    unknown = [stage for stage in stages if stage not in STAGES]
    if unknown:
        raise ValueError(f"unknown staging label(s) {unknown}: expected one of {list(STAGES)}")


def _of(environment: str, name: str) -> tuple[Any, ...]:
    return (secret_versions.c.environment == environment, secret_versions.c.name == name)


def _staged(environment: str, name: str) -> tuple[Any, ...]:
    return (secret_stages.c.environment == environment, secret_stages.c.name == name)


def _holder(session: Session, environment: str, name: str, stage: str) -> str | None:
    held: str | None = session.execute(
        select(secret_stages.c.version_id).where(*_staged(environment, name), secret_stages.c.stage == stage)
    ).scalar_one_or_none()
    return held


def _put(session: Session, environment: str, name: str, stage: str, version_id: str) -> None:
    if _holder(session, environment, name, stage) is None:
        session.execute(
            insert(secret_stages).values(
                environment=environment, name=name, stage=stage, version_id=version_id
            )
        )
    else:
        session.execute(
            update(secret_stages)
            .where(*_staged(environment, name), secret_stages.c.stage == stage)
            .values(version_id=version_id)
        )


@dataclass(frozen=True)
class _Change:
    """Who changes which secret, when: what every event of one call shares."""

    session: Session
    environment: str
    name: str
    by: str
    at: datetime


def _move(change: _Change, stage: str, version_id: str) -> None:
    held = _holder(change.session, change.environment, change.name, stage)
    if held == version_id:
        return
    if stage == AWSCURRENT and held is not None:
        # Secrets Manager keeps the value it replaces one step back, so its users can still
        # be moved off it.
        _move(change, AWSPREVIOUS, held)
    _put(change.session, change.environment, change.name, stage, version_id)
    _event(change, "stage.moved", version_id, {"stage": stage, "from": held})


def _event(change: _Change, action: str, version_id: str | None, detail: dict[str, Any]) -> None:
    change.session.execute(
        insert(secret_events).values(
            environment=change.environment, name=change.name, at=change.at, action=action,
            version_id=version_id, by=change.by, detail=detail,
        )
    )  # fmt: skip


def _versions(session: Session, environment: str, name: str, only: str | None = None) -> list[SecretVersion]:
    query = select(
        secret_versions.c.version_id, secret_versions.c.number, secret_versions.c.created_at,
        secret_versions.c.created_by, secret_versions.c.source, secret_versions.c.username,
    ).where(*_of(environment, name))  # fmt: skip
    if only is not None:
        query = query.where(secret_versions.c.version_id == only)
    stages: dict[str, list[str]] = {}
    for row in session.execute(
        select(secret_stages.c.stage, secret_stages.c.version_id).where(*_staged(environment, name))
    ):
        stages.setdefault(row.version_id, []).append(row.stage)
    rows = session.execute(query.order_by(secret_versions.c.number))
    return [
        SecretVersion(
            row.version_id, row.number, row.created_at, row.created_by, row.source,
            tuple(stage for stage in STAGES if stage in stages.get(row.version_id, ())), row.username,
        )
        for row in rows
    ]  # fmt: skip
