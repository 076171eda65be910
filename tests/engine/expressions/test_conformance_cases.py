"""The recorded AWS cases that only need the expression layer: intrinsics, Choice, JSONPath
Pass states, JSONata Pass/Choice/Fail, variables (cases with Map, Parallel, Wait or Task
states are left to the engine's conformance runner). Each case must give AWS's output, or
AWS's error and cause, exactly (masked parts excepted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Runner = Callable[[dict[str, Any]], dict[str, Any]]
Matcher = Callable[[dict[str, Any], dict[str, Any]], bool]


def test_case_gives_the_recorded_outcome(
    asl_case: dict[str, Any], asl_runner: Runner, asl_matches: Matcher
) -> None:
    outcome = asl_runner(asl_case)

    assert asl_matches(asl_case, outcome), f"expected {asl_case['expected']}, got {outcome}"
