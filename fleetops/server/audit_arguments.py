"""The arguments an audit entry keeps: redacted, then clipped to a small summary.

An audit entry says what was done and with which arguments, never a bulk payload: a body of
any size becomes at most about :data:`MAX_CHARS` characters of JSON. Long strings keep their
start and say how long they were; long lists and objects keep their first members and say how
many there were; what nests deeper than :data:`MAX_LEVELS` is described, not copied. Secrets are
redacted before anything is cut, so a clipped URL cannot keep a password whose ``@`` was cut off.
"""

from __future__ import annotations

import json
from typing import Any

from fleetops.redaction import redact

MAX_STRING = 200
"""Strings longer than this keep their first :data:`KEPT_CHARS` characters."""
KEPT_CHARS = 100
MAX_ITEMS = 20
"""Lists and objects with more members keep their first :data:`KEPT_ITEMS`."""
KEPT_ITEMS = 10
MAX_LEVELS = 4
MAX_CHARS = 4096
"""The longest summary (as JSON); a longer one is reduced to the arguments' top-level names."""


def summarize(arguments: dict[str, Any]) -> dict[str, Any]:
    """``arguments`` redacted and clipped as the module docstring says."""
    clipped = _clip_mapping(redact(arguments), 0)
    if len(json.dumps(clipped, default=str)) <= MAX_CHARS:
        return clipped
    names = [str(name)[:KEPT_CHARS] for name in arguments]
    return {"summary": f"{len(names)} arguments, too large to keep: {', '.join(names[:KEPT_ITEMS])}"}


def _clip(value: Any, level: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING else f"{value[:KEPT_CHARS]}… ({len(value)} characters)"
    if isinstance(value, dict):
        return _clip_mapping(value, level) if level < MAX_LEVELS else f"<object of {len(value)} members>"
    if isinstance(value, list | tuple):
        if level >= MAX_LEVELS:
            return f"<array of {len(value)} items>"
        kept = value if len(value) <= MAX_ITEMS else value[:KEPT_ITEMS]
        clipped = [_clip(item, level + 1) for item in kept]
        if len(kept) < len(value):
            clipped.append(f"… {len(value) - len(kept)} more items")
        return clipped
    return value


def _clip_mapping(value: dict[Any, Any], level: int) -> dict[str, Any]:
    items = list(value.items())
    kept = items if len(items) <= MAX_ITEMS else items[:KEPT_ITEMS]
    clipped = {str(key)[:MAX_STRING]: _clip(item, level + 1) for key, item in kept}
    if len(kept) < len(items):
        clipped["…"] = f"{len(items) - len(kept)} more members"
    return clipped
