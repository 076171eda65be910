"""Persistence: SQLAlchemy tables, repositories and Alembic migrations (the only SQL in fleetops).

Open it with ``Store.open(url, state_dir)``; see ``store.py``.
"""

from fleetops.store.audit import AuditEntry, AuditLog, Outcome
from fleetops.store.database import DATABASE_URL_ENV, StoreKind
from fleetops.store.store import Store

__all__ = ["DATABASE_URL_ENV", "AuditEntry", "AuditLog", "Outcome", "Store", "StoreKind"]
