"""The state machine (and every Parallel branch and Map processor, which share its shape).

"A State Machine MUST have an object field named States, whose fields represent the states.
A State Machine MUST have a string field named StartAt, whose value MUST exactly match one
of names of the States fields." (Amazon States Language specification)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleetops.engine.definition.common import QueryLanguage
from fleetops.engine.definition.states import AnyState


@dataclass(frozen=True, kw_only=True)
class StateMachine:
    """A parsed, validated definition (or sub-machine); ``source`` is the JSON it came from."""

    start_at: str
    states: Mapping[str, AnyState]
    query_language: QueryLanguage = QueryLanguage.JSONPATH
    timeout_seconds: int | None = None
    comment: str | None = None
    pointer: str = ""
    source: Mapping[str, Any] | None = None

    def state(self, name: str) -> AnyState:
        """The state called ``name``."""
        return self.states[name]
