"""Constructs shared by several state types: query language, Retry and Catch.

"Task, Parallel, and Map States MAY have a field named Retry, whose value MUST be an array
of objects, called Retriers." / "... MAY have a field named Catch, whose value MUST be an
array of objects, called Catchers." (Amazon States Language specification)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final


class QueryLanguage(StrEnum):
    """``QueryLanguage``: how a state's fields are evaluated."""

    JSONPATH = "JSONPath"
    JSONATA = "JSONata"


class Missing:
    """The type of :data:`MISSING`: a field that is absent (``null`` is a value in ASL)."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Missing] = Missing()


@dataclass(frozen=True, kw_only=True)
class Retrier:
    """One Retry entry.

    "IntervalSeconds ... number of seconds before the first retry attempt (default 1);
    MaxAttempts ... maximum number of retry attempts (default 3) ... A value of 0 is legal and
    specifies that the error or errors MUST never be retried; BackoffRate ... multiplier by
    which the retry interval increases during each attempt (default 2.0)." MaxDelaySeconds caps
    the interval; JitterStrategy ``FULL`` draws each interval uniformly below its cap.
    """

    error_equals: tuple[str, ...]
    interval_seconds: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter_strategy: str = "NONE"


@dataclass(frozen=True, kw_only=True)
class Catcher:
    """One Catch entry.

    "When a state reports an error and either there is no Retrier, or the Retriers fail to
    resolve the error, the interpreter scans through the Catchers in array order, and when the
    Error Name appears in the value of a Catcher's ErrorEquals field, transitions the machine to
    the state named in the value of the Next field." ResultPath (default ``$``) places the error
    output ``{"Error", "Cause"}`` into the state input.
    """

    error_equals: tuple[str, ...]
    next: str
    result_path: str | None = "$"
    output: Any = MISSING
    assign: Mapping[str, Any] | Missing = MISSING
