"""How evaluation failures are worded, as AWS words them."""

from __future__ import annotations

import json
from typing import Any

from fleetops.engine.errors import StatesError, StatesErrorName

_PREFIXED = (StatesErrorName.RUNTIME, StatesErrorName.QUERY_EVALUATION_ERROR)
_PREFIX = "An error occurred while executing the state "


def in_state(err: StatesError, state_name: str, entered_event_id: int) -> StatesError:
    """``err`` with AWS's "An error occurred while executing the state ..." prefix, once."""
    if err.error not in _PREFIXED or (err.cause or "").startswith(_PREFIX):
        return err
    cause = (
        f"{_PREFIX}'{state_name}' (entered at the event id #{entered_event_id}). {err.cause or ''}".rstrip()
    )
    return StatesError(err.error, cause)


def runtime(cause: str) -> StatesError:
    """A States.Runtime failure (never caught by States.ALL)."""
    return StatesError(StatesErrorName.RUNTIME, cause)


def query_error(cause: str) -> StatesError:
    """A States.QueryEvaluationError failure."""
    return StatesError(StatesErrorName.QUERY_EVALUATION_ERROR, cause)


def to_json(value: Any) -> str:
    """JSON text the way AWS prints values in causes and events (compact)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
