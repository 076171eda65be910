"""Helpers for measuring the expression layer against the recorded AWS cases.

`run_case` is a deliberately small interpreter for definitions made only of Pass, Choice, Fail
and Succeed states (JSONPath and JSONata). It exists so the expression layer can be measured on
its own; the engine's conformance runner is the real one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.expressions import (
    Scope,
    evaluate_jsonata_template,
    evaluate_payload,
    parse_choice_rule,
    resolve_field_path,
    resolve_io_path,
    set_path,
)


def _cases_folder() -> Path:
    """`shared/asl-cases` next to the repository's folder (or $FLEETOPS_ASL_CASES)."""
    if "FLEETOPS_ASL_CASES" in os.environ:
        return Path(os.environ["FLEETOPS_ASL_CASES"])
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "asl-cases").is_dir():
            return parent / "shared" / "asl-cases"
    raise RuntimeError("the ASL cases were not found: set FLEETOPS_ASL_CASES to their folder")


CASES = _cases_folder()
SIMPLE_TYPES = {"Pass", "Choice", "Fail", "Succeed"}
PREFIXED = {StatesErrorName.RUNTIME, StatesErrorName.QUERY_EVALUATION_ERROR}


def load_cases(category: str) -> list[dict[str, Any]]:
    """Every case of a category, sorted by name."""
    folder = CASES / category
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def is_simple(case: dict[str, Any]) -> bool:
    """True when the definition uses only the states `run_case` interprets."""
    states = case["definition"].get("States", {})
    return bool(states) and all(state.get("Type") in SIMPLE_TYPES for state in states.values())


def _context(case: dict[str, Any]) -> dict[str, Any]:
    name, execution = "machine-name", "execution-name"
    arn = "arn:aws:states:us-east-1:111111111111"
    return {
        "Execution": {
            "Id": f"{arn}:execution:{name}:{execution}",
            "Input": case["input"],
            "StartTime": "2024-01-01T00:00:00.000Z",
            "Name": execution,
            "RoleArn": "arn:aws:iam::111111111111:role/sfn",
            "RedriveCount": 0,
        },
        "StateMachine": {"Id": f"{arn}:stateMachine:{name}", "Name": name},
    }


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Run a simple definition; return the outcome in the cases' `expected` form."""
    definition = case["definition"]
    states = definition["States"]
    name = definition["StartAt"]
    value: Any = case["input"]
    variables: dict[str, Any] = {}
    context = _context(case)
    entered_id = 2
    while True:
        state = states[name]
        language = state.get("QueryLanguage", definition.get("QueryLanguage", "JSONPath"))
        context["State"] = {"Name": name, "EnteredTime": "2024-01-01T00:00:00.000Z"}
        try:
            step = _jsonata_state if language == "JSONata" else _jsonpath_state
            value, following = step(state, value, context, variables)
        except StatesError as err:
            cause = err.cause
            if err.error in PREFIXED:
                where = f"the state '{name}' (entered at the event id #{entered_id})"
                cause = f"An error occurred while executing {where}. {cause}"
            outcome: dict[str, Any] = {"status": "FAILED"}
            if err.error is not None:
                outcome["error"] = str(err.error)
            if cause is not None:
                outcome["cause"] = cause
            return outcome
        if following is None:
            return {"status": "SUCCEEDED", "output": value}
        name = following
        entered_id += 2


Step = tuple[Any, str | None]


def _jsonpath_state(state: dict[str, Any], raw: Any, context: Any, variables: dict[str, Any]) -> Step:
    kind = state["Type"]
    scope = Scope(raw, context, dict(variables))
    if kind == "Fail":
        error = resolve_field_path(state["ErrorPath"], scope, "ErrorPath") if "ErrorPath" in state else None
        cause = resolve_field_path(state["CausePath"], scope, "CausePath") if "CausePath" in state else None
        error = error if "ErrorPath" in state else state.get("Error")
        cause = cause if "CausePath" in state else state.get("Cause")
        raise StatesError(error, cause)
    effective = resolve_io_path(state.get("InputPath", "$"), scope)
    scope = Scope(effective, context, dict(variables))
    following = state.get("Next")
    if kind == "Choice":
        assign = state.get("Assign")
        following = state.get("Default")
        for index, rule in enumerate(state["Choices"]):
            if parse_choice_rule(rule, f"/Choices/{index}").evaluate(scope):
                following, assign = rule["Next"], rule.get("Assign", assign)
                break
        else:
            if following is None:
                raise StatesError(StatesErrorName.NO_CHOICE_MATCHED, "No Choice matched and no Default")
        output = resolve_io_path(state.get("OutputPath", "$"), Scope(effective, context, variables))
        if assign is not None:
            variables.update(evaluate_payload(assign, scope, field="Assign"))
        return output, following
    result = effective
    if "Parameters" in state:
        result = evaluate_payload(state["Parameters"], scope, field="Parameters")
    if "Result" in state:
        result = state["Result"]
    assigned = {}
    if "Assign" in state:
        assigned = evaluate_payload(state["Assign"], Scope(result, context, dict(variables)), field="Assign")
    combined = set_path(raw, state.get("ResultPath", "$"), result)
    # Variables assigned by a state are visible from the next state on, not in its own OutputPath.
    output = resolve_io_path(state.get("OutputPath", "$"), Scope(combined, context, variables))
    variables.update(assigned)
    return output, None if state.get("End") or kind == "Succeed" else following


def _jsonata_state(state: dict[str, Any], raw: Any, context: Any, variables: dict[str, Any]) -> Step:
    kind = state["Type"]
    states = {"input": raw, "context": context}

    def evaluate(value: Any, field: str) -> Any:
        return evaluate_jsonata_template(value, states=states, variables=variables, field=field)

    if kind == "Fail":
        error = evaluate(state["Error"], "Error") if "Error" in state else None
        cause = evaluate(state["Cause"], "Cause") if "Cause" in state else None
        raise StatesError(error, cause)
    following = state.get("Next")
    output, assign = state.get("Output"), state.get("Assign")
    if kind == "Choice":
        following = state.get("Default")
        scope = Scope(raw, context, dict(variables))
        for index, rule in enumerate(state["Choices"]):
            if parse_choice_rule(rule, f"/Choices/{index}").evaluate(scope):
                following = rule["Next"]
                output, assign = rule.get("Output", output), rule.get("Assign", assign)
                break
    result = evaluate(output, "Output") if output is not None else raw
    if assign is not None:
        variables.update(evaluate(assign, "Assign"))
    return result, None if state.get("End") or kind == "Succeed" else following


def matches(expected: Any, actual: Any, tokens: list[str]) -> bool:
    """Compare as the cases' README says: JSON by value, masked strings as patterns."""
    if isinstance(expected, str) and tokens and isinstance(actual, str | int | float):
        if expected in tokens:
            return True
        alternation = "|".join(re.escape(token) for token in sorted(tokens, key=len, reverse=True))
        pattern = ".*?".join(re.escape(part) for part in re.split(alternation, expected))
        return re.fullmatch(pattern, str(actual), re.DOTALL) is not None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(matches(expected[key], actual[key], tokens) for key in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(a, b, tokens) for a, b in zip(expected, actual, strict=True))
        )
    return bool(expected == actual)


def outcome_matches(case: dict[str, Any], outcome: dict[str, Any]) -> bool:
    """True when `outcome` is what AWS recorded for `case`."""
    return matches(case["expected"], outcome, case.get("mask_tokens", []))


CATEGORIES = ("intrinsics", "choice", "pass", "jsonata", "assign", "context")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `asl_case` with every simple case of the categories this layer covers."""
    if "asl_case" in metafunc.fixturenames:
        cases = [case for category in CATEGORIES for case in load_cases(category) if is_simple(case)]
        metafunc.parametrize("asl_case", cases, ids=[case["name"] for case in cases])


@pytest.fixture
def asl_runner() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The small interpreter, for tests that run whole cases."""
    return run_case


@pytest.fixture
def asl_matches() -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    """Compares an outcome with a case's recorded one."""
    return outcome_matches
