"""Argument checks and JSON value helpers shared by the intrinsic functions."""

from __future__ import annotations

import math
from typing import Any

from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.expressions.jsontext import compact_json


def failure(function: str, problem: str) -> StatesError:
    """The error an intrinsic raises when its arguments cannot be used.

    "States.IntrinsicFailure: an intrinsic function invocation within a payload template
    failed." (AWS Step Functions, error names)
    """
    cause = f"Invalid arguments in States.{function}: {problem}"
    return StatesError(StatesErrorName.INTRINSIC_FAILURE, cause)


def is_number(value: Any) -> bool:
    """True for JSON numbers (booleans are not numbers in JSON)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def java_round(value: float) -> int:
    """Round half up, as Java's Math.round does (2.5 -> 3, -2.5 -> -2), which AWS uses."""
    return math.floor(value + 0.5)


def integer(function: str, value: Any, what: str) -> int:
    """`value` as an integer; a number with a fraction is rounded as AWS rounds it."""
    if not is_number(value):
        raise failure(function, f"the {what} must be a number, got {compact_json(value)}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise failure(function, f"the {what} must be a finite number, got {value}")
        return java_round(value)
    return int(value)


def array(function: str, value: Any, what: str = "first argument") -> list[Any]:
    """`value` if it is a JSON array."""
    if not isinstance(value, list):
        raise failure(function, f"the {what} must be an array, got {compact_json(value)}")
    return value


def string(function: str, value: Any, what: str = "first argument") -> str:
    """`value` if it is a JSON string."""
    if not isinstance(value, str):
        raise failure(function, f"the {what} must be a string, got {compact_json(value)}")
    return value


def json_equal(left: Any, right: Any) -> bool:
    """Equality of JSON values: numbers by value, booleans never equal to numbers."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[key], right[key]) for key in left)
    return type(left) is type(right) and bool(left == right)
