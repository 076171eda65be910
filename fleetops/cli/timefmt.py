"""Times as the deployment-control commands print them: UTC, to the second."""

from __future__ import annotations

from datetime import UTC, datetime


def short_time(value: str | None) -> str:
    """``2026-11-22T09:00:00+00:00`` -> ``2026-11-22 09:00:00``; ``-`` for none."""
    if value is None:
        return "-"
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
