"""Redaction of secret values from anything fleetops records or prints (audit log, histories, logs).

A value is secret when the key it sits under names a secret: one of its words (split on
``_ - . space`` and camelCase) is ``password``, ``secret``, ``token``, ``key``… Identifiers *of*
secrets stay readable: a key whose last word is ``name``, ``id``, ``arn``… (``secret_name``,
``key_id``) is not redacted. Everything under a secret key, whatever its type, becomes ``"***"``.
The password in a URL-like string (``postgresql://app:PASSWORD@db/orders``) is redacted too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "***"

SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "apikey",
        "credential",
        "credentials",
        "authorization",
        "cookie",
        "private",
        "dsn",
    }
)
"""Words that make a key secret."""

IDENTIFIER_WORDS = frozenset({"name", "names", "id", "ids", "arn", "arns", "label", "labels", "count"})
"""Last words that make a key name a secret rather than hold one."""

_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^/\s]+(?=@)")


def key_words(key: str) -> list[str]:
    """The lower-case words of a key: ``"dbPassword_v2"`` -> ``["db", "password", "v2"]``."""
    return [word.lower() for word in _WORD.findall(key)]


def is_secret_key(key: str) -> bool:
    """Whether values under ``key`` are secret (see the module docstring)."""
    words = key_words(key)
    if not words or words[-1] in IDENTIFIER_WORDS:
        return False
    return any(word in SECRET_WORDS for word in words)


def redact(value: Any) -> Any:
    """A copy of ``value`` (JSON-like: mappings, lists, scalars) with secret values replaced by ``"***"``."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and is_secret_key(key) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``"***"``."""
    return _URL_PASSWORD.sub(lambda match: match["head"] + REDACTED, text)
