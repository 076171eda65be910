"""The audit log repository: record who did what, to what, when, and how it ended; list it back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, insert, select

from fleetops.redaction import redact, redact_text
from fleetops.store.sessions import Sessions
from fleetops.store.tables import audit_log

MAX_LIMIT = 1000


class Outcome(StrEnum):
    """How an audited action ended; mirrors the CLI exit codes."""

    SUCCESS = "success"
    FAILED = "failed"
    BAD_INPUT = "bad_input"
    REFUSED = "refused"


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    arguments: dict[str, Any]
    outcome: Outcome
    error: str | None

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON-ready values (the API and ``--output json`` shape)."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "arguments": self.arguments,
            "outcome": str(self.outcome),
            "error": self.error,
        }


class AuditLog:
    """Appends to and reads the ``audit_log`` table. Reach it as ``store.audit``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def record(
        self,
        *,
        actor: str,
        action: str,
        target: str | None = None,
        arguments: dict[str, Any] | None = None,
        outcome: Outcome = Outcome.SUCCESS,
        error: str | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one entry and return it.

        ``arguments`` are redacted (``fleetops.redaction``) and made JSON-safe (values JSON
        cannot hold are stored as their ``str``) before they are written; so is ``error``.
        """
        row = {
            "at": at or datetime.now(UTC),
            "actor": _clip(actor, 200),
            "action": _clip(action, 200),
            "target": None if target is None else _clip(target, 500),
            "arguments": json.loads(json.dumps(redact(arguments or {}), default=str)),
            "outcome": str(Outcome(outcome)),
            "error": None if error is None else redact_text(error),
        }
        with self._store.transaction() as session:
            new_id = session.execute(insert(audit_log).values(row).returning(audit_log.c.id)).scalar_one()
        return _entry({**row, "id": new_id})

    def list(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        outcome: Outcome | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        """Entries matching every given filter, newest first.

        ``action`` matches exactly, or as a prefix when it ends with ``*`` (``tokens.*``);
        ``since`` is inclusive, ``until`` exclusive. ``limit`` is capped at 1000.
        """
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must be >= 0 (got limit={limit}, offset={offset})")
        query = _filtered(
            select(audit_log),
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            since=since,
            until=until,
        ).order_by(audit_log.c.id.desc())
        query = query.limit(min(limit, MAX_LIMIT)).offset(offset)
        with self._store.session() as session:
            return [_entry(dict(row)) for row in session.execute(query).mappings()]

    def id_span(self) -> tuple[int | None, int | None, int]:
        """The first and last entry ids and how many entries there are (gaps: entries deleted)."""
        query = select(func.min(audit_log.c.id), func.max(audit_log.c.id), func.count())
        with self._store.session() as session:
            first, last, count = session.execute(query).one()
        return first, last, int(count)

    def count(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        outcome: Outcome | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many entries match the filters (same meaning as in ``list``)."""
        query = _filtered(
            select(func.count()).select_from(audit_log),
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            since=since,
            until=until,
        )
        with self._store.session() as session:
            return int(session.execute(query).scalar_one())


def _filtered(
    query: Select[Any],
    *,
    actor: str | None,
    action: str | None,
    target: str | None,
    outcome: Outcome | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[Any]:
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if action is not None:
        if action.endswith("*"):
            prefix = action[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(audit_log.c.action.like(prefix + "%", escape="\\"))
        else:
            query = query.where(audit_log.c.action == action)
    if target is not None:
        query = query.where(audit_log.c.target == target)
    if outcome is not None:
        query = query.where(audit_log.c.outcome == str(Outcome(outcome)))
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    return query


def _entry(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        arguments=row["arguments"],
        outcome=Outcome(row["outcome"]),
        error=row["error"],
    )


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
