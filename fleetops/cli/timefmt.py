"""Times as commands take and print them.

Printed: one format everywhere, in UTC and saying so, to the second: ``2026-11-22 09:00:00Z``.
Taken (``--since``): a duration back from now (``30m``, ``1h``, ``7d``) or an ISO 8601 time
(``2026-11-22T09:00:00+01:00``; without a time zone it is UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fleetops.errors import BadInput
from fleetops.spec.durations import parse_duration

FORMAT = "%Y-%m-%d %H:%M:%SZ"


def short_time(value: str | None) -> str:
    """``2026-11-22T09:00:00+00:00`` -> ``2026-11-22 09:00:00Z``; ``-`` for none."""
    if value is None:
        return "-"
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).strftime(FORMAT)


def since_time(value: str, option: str, *, now: datetime | None = None) -> datetime:
    """``value`` of ``option`` as an aware time: ``1h`` is an hour before ``now``; an ISO time is
    taken as written (UTC when it names no zone). BadInput naming the option otherwise."""
    try:
        return (now or datetime.now(UTC)) - parse_duration(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise BadInput(
            f"{option} {value!r}: give a duration back from now (30m, 1h, 7d) or an ISO 8601 time "
            "(2026-11-22T09:00:00Z)"
        ) from err
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
