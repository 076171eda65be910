"""What an expression can see: the state's input, the context object and the variables.

"When a path begins with `$$.`, it is a reference to the context object ... When it begins
with `$` followed by a name, it refers to a variable." (AWS Step Functions, Paths and
Variables)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Scope:
    """The values a JSONPath, intrinsic function or Choice rule is evaluated against."""

    input: Any
    """`$`: the value paths are resolved against (the state's effective input)."""
    context: Mapping[str, Any] = field(default_factory=dict)
    """`$$`: the context object (Execution, StateMachine, State, Task, Map)."""
    variables: Mapping[str, Any] = field(default_factory=dict)
    """`$name`: the variables visible to this state (set by `Assign`)."""
