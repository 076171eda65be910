"""Durations as people write them in a fleet file: ``500ms``, ``30s``, ``5m``, ``2h``, ``30d``.

A duration is one or more ``<integer><unit>`` parts, largest unit first (``1h30m``); units are
``ms``, ``s``, ``m``, ``h`` and ``d``. Parsed values are :class:`datetime.timedelta`; the pydantic
field type is ``fleetops.spec.duration_field.Duration``, apart so that a command printing or
taking durations does not import pydantic.
"""

from __future__ import annotations

import re
from datetime import timedelta

UNITS_MS: dict[str, int] = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_ORDER = ["d", "h", "m", "s", "ms"]
_PART = re.compile(r"(\d+)(ms|s|m|h|d)")
PATTERN = r"^(\d+(ms|s|m|h|d))+$"
EXPECTED = "a duration like 500ms, 30s, 5m, 2h or 30d"
# timedelta's own limit is 999,999,999 days; a fleet never needs more than about 100 years.
MAX_MS = 36_500 * UNITS_MS["d"]


def parse_duration(text: str) -> timedelta:
    """Parse ``text`` (``"1h30m"``) into a timedelta; raise ValueError saying what was expected."""
    if not isinstance(text, str):
        raise ValueError(f"expected {EXPECTED}, got {type(text).__name__} {text!r}")
    stripped = text.strip()
    pos = 0
    total_ms = 0
    last_rank = -1
    for match in _PART.finditer(stripped):
        if match.start() != pos:
            break
        rank = _ORDER.index(match.group(2))
        if rank <= last_rank:
            raise ValueError(f"expected {EXPECTED} with each unit once, largest first, got {text!r}")
        last_rank = rank
        total_ms += int(match.group(1)) * UNITS_MS[match.group(2)]
        pos = match.end()
    if pos == 0 or pos != len(stripped):
        raise ValueError(f"expected {EXPECTED}, got {text!r}")
    if total_ms > MAX_MS:
        raise ValueError(f"expected {EXPECTED} of at most 36500d, got {text!r}")
    return timedelta(milliseconds=total_ms)


def format_duration(value: timedelta) -> str:
    """Format a timedelta the way it would be written in a fleet file (``90s`` -> ``1m30s``)."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    sign = "-" if total_ms < 0 else ""
    remaining = abs(total_ms)
    parts: list[str] = []
    for unit in _ORDER:
        count, remaining = divmod(remaining, UNITS_MS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)
