"""Intrinsics for math: States.MathRandom and States.MathAdd (AWS Step Functions, "Intrinsics
for Math operations")."""

from __future__ import annotations

import random
from typing import Any

from fleetops.engine.expressions.intrinsics.values import failure, integer

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def math_add(first: Any, second: Any) -> int:
    """AWS: "Returns the sum of two numbers." Numbers with a fraction are first rounded half up
    (1.5 -> 2, -1.5 -> -1), as AWS does; both must lie in the 32-bit integer range."""
    left = integer("MathAdd", first, "first argument")
    right = integer("MathAdd", second, "second argument")
    for value in (left, right):
        if not INT_MIN <= value <= INT_MAX:
            raise failure("MathAdd", f"{value} is outside the range {INT_MIN}..{INT_MAX}")
    return left + right


def math_random(start: Any, end: Any, seed: Any = None) -> int:
    """AWS: "Returns a random number between the specified start number (inclusive) and end number
    (exclusive)." The optional seed makes the number repeatable."""
    low = integer("MathRandom", start, "start")
    high = integer("MathRandom", end, "end")
    if high <= low:
        raise failure("MathRandom", f"the end ({high}) must be greater than the start ({low})")
    if seed is None:
        return random.SystemRandom().randrange(low, high)
    generator = random.Random(integer("MathRandom", seed, "seed"))
    return generator.randrange(low, high)
