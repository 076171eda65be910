"""The backup catalog: each backup of a datastore, where its file is, and its verification."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from fleetops.store.sessions import Sessions
from fleetops.store.tables import backups


@dataclass(frozen=True)
class Backup:
    """One catalog entry (see ``tables.backups`` for what each field holds)."""

    backup_id: str
    environment: str
    datastore: str
    kind: str
    created_at: datetime
    duration_ms: int
    location: str
    size_bytes: int
    sha256: str
    tool: str
    tool_version: str
    source_position: str
    contents: dict[str, int]
    verify_status: str | None = None
    verified_at: datetime | None = None
    verify_ms: int | None = None
    verify_detail: str | None = None
    tag: str | None = None
    """``pre-restore``, ``scheduled``, or None (taken by hand)."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        out["verified_at"] = self.verified_at.isoformat() if self.verified_at else None
        return out


class BackupCatalog:
    """Reach it as ``store.backups``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def add(self, backup: Backup) -> Backup:
        """Record a backup taken."""
        with self._store.transaction() as session:
            session.execute(insert(backups).values(asdict(backup)))
        return backup

    def get(self, backup_id: str) -> Backup | None:
        """The entry of ``backup_id``."""
        with self._store.session() as session:
            row = session.execute(select(backups).where(backups.c.backup_id == backup_id)).mappings().first()
        return None if row is None else Backup(**row)

    def list(
        self,
        *,
        environment: str | None = None,
        datastore: str | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> list[Backup]:
        """Backups (``tag``: only those tagged so), newest first."""
        query = select(backups).order_by(backups.c.created_at.desc(), backups.c.backup_id.desc())
        if tag is not None:
            query = query.where(backups.c.tag == tag)
        if environment is not None:
            query = query.where(backups.c.environment == environment)
        if datastore is not None:
            query = query.where(backups.c.datastore == datastore)
        with self._store.session() as session:
            rows = session.execute(query.limit(limit)).mappings().all()
        return [Backup(**row) for row in rows]

    def delete(self, backup_id: str) -> bool:
        """Remove an entry (its file is the caller's); whether it existed."""
        with self._store.transaction() as session:
            found = session.execute(
                select(backups.c.backup_id).where(backups.c.backup_id == backup_id)
            ).first()
            session.execute(delete(backups).where(backups.c.backup_id == backup_id))
        return found is not None

    def record_verification(
        self, backup: Backup, *, status: str, at: datetime, duration_ms: int, detail: str
    ) -> Backup:
        """Record the outcome of a verification (``verified`` or ``failed``)."""
        values = {
            "verify_status": status,
            "verified_at": at,
            "verify_ms": duration_ms,
            "verify_detail": detail,
        }
        with self._store.transaction() as session:
            session.execute(update(backups).where(backups.c.backup_id == backup.backup_id).values(values))
        return replace(
            backup, verify_status=status, verified_at=at, verify_ms=duration_ms, verify_detail=detail
        )
