"""The `States.*` intrinsic functions: a hand-written parser and one module per family."""

from fleetops.engine.expressions.intrinsics.evaluate import evaluate_call, evaluate_intrinsic
from fleetops.engine.expressions.intrinsics.parser import (
    Call,
    Literal,
    PathArg,
    is_intrinsic,
    parse_intrinsic,
)

__all__ = [
    "Call",
    "Literal",
    "PathArg",
    "evaluate_call",
    "evaluate_intrinsic",
    "is_intrinsic",
    "parse_intrinsic",
]
