"""A notification's level, as channels route them (``levels:`` in the fleet file).

Apart from the fleet file's models, so that a command taking a level (``fleetops notify``,
``fleetops incident``) does not import them.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """How urgent a notification is (PagerDuty's severities): deployments that failed or were rolled
    back are errors, an alarm going into ALARM is critical, the rest info; an announcement
    (``fleetops notify``) has the level it is given."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"
