"""Matching errors against Retry/Catch, and the retry interval.

"When a state reports an error, the interpreter scans through the Retriers and, when the
Error Name appears in the value of a Retrier's ErrorEquals field, implements the retry
policy described in that Retrier." (Amazon States Language specification)
"""

from __future__ import annotations

import random

from fleetops.engine.definition.common import Retrier
from fleetops.engine.errors import StatesErrorName


def error_matches(error_equals: tuple[str, ...], error: str | None) -> bool:
    """Whether ``error`` is named by ``error_equals``.

    "A retry or catch on States.ALL won't catch States.Runtime errors" (Step Functions guide);
    naming States.Runtime itself does. "States.TaskFailed ... acts as a wildcard that matches
    any known error name except for States.Timeout".
    """
    for name in error_equals:
        if name == error:
            return True
        if error == StatesErrorName.RUNTIME:
            continue
        if name == StatesErrorName.ALL:
            return True
        if name == StatesErrorName.TASK_FAILED and error != StatesErrorName.TIMEOUT:
            return True
    return False


def retry_delay(retrier: Retrier, attempt: int, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry)."""
    delay = retrier.interval_seconds * retrier.backoff_rate**attempt
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    if retrier.jitter_strategy == "FULL":
        delay = rng.uniform(0, delay)
    return delay
