"""New secret values: what createSecret (and a first ``up``) makes for a secret of each kind."""

from __future__ import annotations

import secrets

DEFAULT_LENGTH = 32


def generate_value(length: int = DEFAULT_LENGTH) -> str:
    """``length`` URL-safe random characters (letters, digits, ``-`` and ``_``: safe in an
    environment variable, a URL's password and a PostgreSQL password literal alike)."""
    if length < 16:
        raise ValueError(f"a generated secret has at least 16 characters, got length {length}")
    return secrets.token_urlsafe(length)[:length]
