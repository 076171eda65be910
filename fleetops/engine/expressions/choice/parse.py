"""Reading a Choice rule from a definition, with every problem AWS would reject reported.

"Each Choice Rule MUST contain exactly one field containing a comparison operator."
"For each of these operators, the corresponding value must be of the appropriate type."
(Amazon States Language specification, Choice Rules)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fleetops.engine.errors import DefinitionError
from fleetops.engine.expressions.choice.operators import (
    COMPARISONS,
    PATH_OPERATORS,
    TYPE_TESTS,
    is_number,
    wildcard_pattern,
)
from fleetops.engine.expressions.choice.rules import (
    And,
    ChoiceRule,
    Comparison,
    Condition,
    Not,
    Or,
    TypeTest,
)
from fleetops.engine.expressions.choice.timestamps import is_timestamp
from fleetops.engine.expressions.jsonpath import parse_path

# Fields a rule may carry besides its test (Next/Assign/Output belong to the top-level rule).
_OTHER_FIELDS = {"Next", "Comment", "Assign", "Output"}
_BOOLEAN = ("And", "Or", "Not")
_CHOICE_INDEX = re.compile(r"/Choices/([0-9]+)$")
_EXPECTED = {"String": "a string", "Numeric": "a number", "Boolean": "a boolean", "Timestamp": "a timestamp"}


def parse_choice_rule(rule: Mapping[str, Any], pointer: str) -> ChoiceRule:
    """Build the rule at JSON pointer `pointer` (e.g. `/States/Check/Choices/0`).

    Raises DefinitionError listing every problem, each ending with "at <pointer>".
    """
    problems: list[str] = []
    parsed = _parse(rule, pointer, problems)
    if problems or parsed is None:
        raise DefinitionError(problems or [f"Invalid Choice rule at {pointer}"])
    return parsed


def _parse(rule: Any, pointer: str, problems: list[str]) -> ChoiceRule | None:
    if not isinstance(rule, Mapping):
        problems.append(f"A Choice rule must be an object at {pointer}")
        return None
    tests = [key for key in rule if key in COMPARISONS or key in PATH_OPERATORS or key in TYPE_TESTS]
    combinators = [key for key in rule if key in _BOOLEAN]
    known = set(tests) | set(combinators) | _OTHER_FIELDS | {"Variable", "Condition"}
    for key in rule:
        if key not in known:
            problems.append(f"The field '{key}' is not supported by Step Functions at {pointer}")
    chosen = tests + combinators + (["Condition"] if "Condition" in rule else [])
    if len(chosen) != 1:
        what = "none" if not chosen else f"{len(chosen)} ({', '.join(chosen)})"
        problems.append(
            f"A Choice rule must have exactly one comparison operator, And, Or, Not or Condition; "
            f"found {what} at {pointer}"
        )
        return None
    key = chosen[0]
    if key == "Condition":
        return _condition(rule, pointer, problems)
    if key in _BOOLEAN:
        if "Variable" in rule:
            problems.append(f"The field 'Variable' is not allowed with '{key}' at {pointer}")
        return _boolean(key, rule[key], f"{pointer}/{key}", problems)
    variable = rule.get("Variable")
    if not isinstance(variable, str) or not _is_path(variable):
        problems.append(f"The field 'Variable' is required and must be a valid JSONPath at {pointer}")
        return None
    return _data_test(key, rule[key], variable, pointer, problems)


def _is_path(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_path(value)
    except ValueError:
        return False
    return True


def _condition(rule: Mapping[str, Any], pointer: str, problems: list[str]) -> ChoiceRule | None:
    value = rule["Condition"]
    is_expression = isinstance(value, str) and value.startswith("{%") and value.endswith("%}")
    if not isinstance(value, bool) and not is_expression:
        problems.append(f"The field 'Condition' must be a boolean or a JSONata expression at {pointer}")
        return None
    match = _CHOICE_INDEX.search(pointer)
    return Condition(value, f"Choices[{match.group(1)}]/Condition" if match else "Condition")


def _boolean(key: str, value: Any, pointer: str, problems: list[str]) -> ChoiceRule | None:
    if key == "Not":
        inner = _parse(value, pointer, problems)
        return Not(inner) if inner is not None else None
    if not isinstance(value, list) or not value:
        problems.append(f"The field '{key}' must be a non-empty array of Choice rules at {pointer}")
        return None
    rules = [_parse(item, f"{pointer}/{index}", problems) for index, item in enumerate(value)]
    if any(item is None for item in rules):
        return None
    built = tuple(item for item in rules if item is not None)
    return And(built) if key == "And" else Or(built)


def _data_test(key: str, value: Any, variable: str, pointer: str, problems: list[str]) -> ChoiceRule | None:
    where = f"{pointer}/{key}"
    if key in TYPE_TESTS:
        if not isinstance(value, bool):
            problems.append(f"The value of '{key}' must be a boolean at {where}")
            return None
        return TypeTest(variable, key, value)
    if key in PATH_OPERATORS:
        if not _is_path(value):
            problems.append(f"The value of '{key}' must be a valid JSONPath at {where}")
            return None
        family, ordering = PATH_OPERATORS[key]
        return Comparison(variable, family, ordering, value, operand_is_path=True)
    family, ordering = COMPARISONS[key]
    if not _operand_fits(family, value):
        problems.append(f"The value of '{key}' must be {_EXPECTED[family]} at {where}")
        return None
    if key == "StringMatches":
        return Comparison(variable, family, ordering, value, pattern=wildcard_pattern(value))
    return Comparison(variable, family, ordering, value)


def _operand_fits(family: str, value: Any) -> bool:
    if family == "String":
        return isinstance(value, str)
    if family == "Numeric":
        return is_number(value)
    if family == "Boolean":
        return isinstance(value, bool)
    return isinstance(value, str) and is_timestamp(value)
