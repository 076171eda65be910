"""An incident's severities and statuses, and the notification level of each severity (light to
import: the CLI takes them as options)."""

from __future__ import annotations

from enum import StrEnum

from fleetops.spec.levels import Level


class Severity(StrEnum):
    """How bad it is, SEV1 (the worst) to SEV4."""

    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @property
    def level(self) -> Level:
        """The notification level it is announced at: SEV1 critical, SEV2 error (a pager),
        SEV3 warning, SEV4 info (chat)."""
        return _LEVELS[self]


_LEVELS = {
    Severity.SEV1: Level.CRITICAL,
    Severity.SEV2: Level.ERROR,
    Severity.SEV3: Level.WARNING,
    Severity.SEV4: Level.INFO,
}


class Status(StrEnum):
    """Where the work on an open incident is (``resolved`` comes with ``incident resolve``)."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
