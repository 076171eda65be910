"""What a state's behaviour returns, and the shape of a behaviour.

Values flow by return: a state's behaviour returns an :class:`Outcome` (its output, the next
state, the variables it assigns); nothing is pushed on a shared stack.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fleetops.engine.runtime.frame import StateRun


@dataclass(frozen=True)
class Outcome:
    """What a state produced: its output, where to go next (None: end), variables to assign."""

    output: Any
    next: str | None
    assigned: dict[str, Any] | None = None


Behaviour = Callable[[StateRun], Awaitable[Outcome]]
"""The coroutine that runs one visit of a state (one per state type, ``fleetops.engine.states``)."""
