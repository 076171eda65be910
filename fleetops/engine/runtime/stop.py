"""``Stop``: what StopExecution raises into a running execution."""

from __future__ import annotations


class Stop(Exception):
    """Raised into a run by StopExecution (with the caller's error and cause)."""

    def __init__(self, error: str | None, cause: str | None) -> None:
        super().__init__(error)
        self.error = error
        self.cause = cause
