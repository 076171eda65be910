"""The status vocabulary of an instance refresh, and its events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RefreshStatus(StrEnum):
    """The status vocabulary of DescribeInstanceRefreshes."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    BAKING = "Baking"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    CANCELLING = "Cancelling"
    CANCELLED = "Cancelled"
    ROLLBACK_IN_PROGRESS = "RollbackInProgress"
    ROLLBACK_SUCCESSFUL = "RollbackSuccessful"
    ROLLBACK_FAILED = "RollbackFailed"

    @property
    def terminal(self) -> bool:
        """Whether the refresh has ended."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        RefreshStatus.SUCCESSFUL,
        RefreshStatus.FAILED,
        RefreshStatus.CANCELLED,
        RefreshStatus.ROLLBACK_SUCCESSFUL,
        RefreshStatus.ROLLBACK_FAILED,
    }
)


@dataclass(frozen=True)
class RefreshEvent:
    """Something that happened during a refresh, for progress displays and histories."""

    at_ms: int
    message: str
