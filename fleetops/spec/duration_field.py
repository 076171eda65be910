"""The duration field type of the fleet file's and the API's pydantic models.

Written ``500ms``, ``30s``, ``1h30m`` (``fleetops.spec.durations``), a ``timedelta`` in code,
serialised back to the written form.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from fleetops.spec.durations import PATTERN, format_duration, parse_duration


def _validate(value: Any) -> Any:
    # timedelta passes through so models can be built in code; everything else must be text.
    if isinstance(value, timedelta):
        return value
    return parse_duration(value)


Duration = Annotated[
    timedelta,
    BeforeValidator(_validate),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PATTERN, "examples": ["500ms", "30s", "5m", "2h", "30d"]}),
]
"""A pydantic field type: a duration string in the file, a ``timedelta`` in code."""
