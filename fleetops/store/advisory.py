"""Keys of PostgreSQL transaction-scoped advisory locks, derived from names.

``SELECT pg_advisory_xact_lock(advisory_key("releases", env, service))`` makes the writers of one
thing queue until the holder's transaction ends. SQLite needs none: ``BEGIN IMMEDIATE`` already
serialises every writer.
"""

from __future__ import annotations

import hashlib


def advisory_key(*parts: str) -> int:
    """A signed 64-bit key (what ``pg_advisory_xact_lock`` takes) naming ``parts``."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
