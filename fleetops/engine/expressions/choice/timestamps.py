"""Timestamps as Choice rules and Wait states read them.

"Timestamps must conform to RFC3339 profile ISO 8601, with the further restrictions that an
uppercase T must separate the date and time portions, and an uppercase Z must denote that a
numeric time zone offset is not present, for example, 2016-08-18T17:33:00Z." (Amazon
States Language specification, Timestamps)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})",
)


def parse_timestamp(text: str) -> tuple[int, int] | None:
    """The instant `text` names as (seconds since the epoch, nanoseconds); None if not a timestamp."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(index)) for index in range(1, 7))
    fraction, zone = match.group(7) or "", match.group(8)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    if zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 18 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        moment = moment - offset if zone[0] == "+" else moment + offset
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    return int(moment.timestamp()), nanos


def is_timestamp(text: str) -> bool:
    """True when `text` is a timestamp AWS accepts."""
    return parse_timestamp(text) is not None
