"""Choice rules: parsing (choice/parse.py) and evaluation (choice/rules.py)."""

from __future__ import annotations

from typing import Any

import pytest

from fleetops.engine.errors import DefinitionError, StatesError
from fleetops.engine.expressions import Scope, parse_choice_rule

INPUT = {
    "n": 5,
    "f": 1.5,
    "s": "Hello*World",
    "b": True,
    "t": "2016-08-18T17:33:00Z",
    "tz": "2016-08-18T18:33:00+01:00",
    "nothing": None,
    "other": 5.0,
}


def decide(rule: dict[str, Any], value: Any = None) -> bool:
    data = dict(INPUT) if value is None else value
    pointer = "/States/C/Choices/0"
    return parse_choice_rule({**rule, "Next": "X"}, pointer).evaluate(Scope(data, {}, {"v": 5}))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"Variable": "$.n", "NumericEquals": 5}, True),
        ({"Variable": "$.n", "NumericEquals": 5.0}, True),
        ({"Variable": "$.n", "NumericLessThan": 5}, False),
        ({"Variable": "$.n", "NumericLessThanEquals": 5}, True),
        ({"Variable": "$.f", "NumericGreaterThan": 1}, True),
        ({"Variable": "$.f", "NumericGreaterThanEquals": 1.6}, False),
        ({"Variable": "$.n", "NumericEqualsPath": "$.other"}, True),
        ({"Variable": "$v", "NumericEquals": 5}, True),
        ({"Variable": "$.b", "NumericEquals": 1}, False),
        ({"Variable": "$.s", "StringEquals": "Hello*World"}, True),
        ({"Variable": "$.s", "StringLessThan": "Hello+"}, True),
        ({"Variable": "$.s", "StringGreaterThan": "Hello"}, True),
        ({"Variable": "$.s", "StringMatches": "Hello*"}, True),
        ({"Variable": "$.s", "StringMatches": "Hello\\*World"}, True),
        ({"Variable": "$.s", "StringMatches": "Hello\\*"}, False),
        ({"Variable": "$.s", "StringMatches": "*World"}, True),
        ({"Variable": "$.n", "StringEquals": "5"}, False),
        ({"Variable": "$.b", "BooleanEquals": True}, True),
        ({"Variable": "$.b", "BooleanEqualsPath": "$.b"}, True),
        ({"Variable": "$.t", "TimestampEquals": "2016-08-18T17:33:00Z"}, True),
        ({"Variable": "$.t", "TimestampEqualsPath": "$.tz"}, True),
        ({"Variable": "$.t", "TimestampLessThan": "2016-08-18T17:33:00.001Z"}, True),
        ({"Variable": "$.s", "TimestampEquals": "2016-08-18T17:33:00Z"}, False),
        ({"Variable": "$.nothing", "IsNull": True}, True),
        ({"Variable": "$.n", "IsNull": False}, True),
        ({"Variable": "$.missing", "IsPresent": False}, True),
        ({"Variable": "$.missing", "IsPresent": True}, False),
        ({"Variable": "$.f", "IsNumeric": True}, True),
        ({"Variable": "$.b", "IsNumeric": True}, False),
        ({"Variable": "$.s", "IsString": True}, True),
        ({"Variable": "$.b", "IsBoolean": True}, True),
        ({"Variable": "$.tz", "IsTimestamp": True}, True),
        ({"Variable": "$.s", "IsTimestamp": True}, False),
        (
            {"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.b", "BooleanEquals": True}]},
            True,
        ),
        (
            {"Or": [{"Variable": "$.n", "NumericEquals": 4}, {"Variable": "$.b", "BooleanEquals": False}]},
            False,
        ),
        ({"Not": {"Variable": "$.n", "NumericEquals": 4}}, True),
        ({"Condition": True}, True),
        ({"Condition": "{% $states.input.n > 4 %}"}, True),
    ],
)
def test_rule_decides_as_aws_does(rule: dict[str, Any], expected: bool) -> None:
    assert decide(rule) is expected


def test_strings_compare_by_utf16_code_units_as_java_does() -> None:
    # U+FFFF sorts after U+10000 in UTF-16 (0xFFFF > 0xD800) though its code point is lower.
    assert decide({"Variable": "$.s", "StringGreaterThan": "\U00010000"}, {"s": "\uffff"}) is True


def test_a_missing_variable_fails_with_aws_cause() -> None:
    with pytest.raises(StatesError) as caught:
        decide({"Variable": "$.missing", "NumericEquals": 1})

    assert caught.value.error == "States.Runtime"
    assert caught.value.cause == (
        "Invalid path '$.missing': The choice state's condition path references an invalid value."
    )


def test_a_condition_that_is_not_boolean_fails() -> None:
    with pytest.raises(StatesError) as caught:
        decide({"Condition": "{% $states.input.n %}"})

    assert caught.value.error == "States.QueryEvaluationError"
    assert caught.value.cause == (
        "The JSONata expression '$states.input.n' specified for the field 'Choices[0]/Condition' "
        "returned an unexpected result type. Expected 'boolean', but was 'number' for value: 5"
    )


ONE_OPERATOR = "A Choice rule must have exactly one comparison operator, And, Or, Not or Condition; found"


@pytest.mark.parametrize(
    ("rule", "problems"),
    [
        (
            {"Variable": "$.n", "NumericEquals": "5"},
            ["The value of 'NumericEquals' must be a number at /C/0/NumericEquals"],
        ),
        (
            {"Variable": "$.n", "BooleanEquals": 1},
            ["The value of 'BooleanEquals' must be a boolean at /C/0/BooleanEquals"],
        ),
        (
            {"Variable": "$.t", "TimestampEquals": "2016-08-18"},
            ["The value of 'TimestampEquals' must be a timestamp at /C/0/TimestampEquals"],
        ),
        ({"Variable": "$.n", "IsNull": "yes"}, ["The value of 'IsNull' must be a boolean at /C/0/IsNull"]),
        (
            {"Variable": "$.n", "StringEqualsPath": "nope"},
            ["The value of 'StringEqualsPath' must be a valid JSONPath at /C/0/StringEqualsPath"],
        ),
        (
            {"Variable": "$.n", "NumericEqual": 5},
            [
                "The field 'NumericEqual' is not supported by Step Functions at /C/0",
                f"{ONE_OPERATOR} none at /C/0",
            ],
        ),
        ({"NumericEquals": 5}, ["The field 'Variable' is required and must be a valid JSONPath at /C/0"]),
        (
            {"Variable": "$.n"},
            [f"{ONE_OPERATOR} none at /C/0"],
        ),
        (
            {"Variable": "$.n", "NumericEquals": 1, "IsNull": True},
            [f"{ONE_OPERATOR} 2 (NumericEquals, IsNull) at /C/0"],
        ),
        ({"And": []}, ["The field 'And' must be a non-empty array of Choice rules at /C/0/And"]),
        (
            {"Not": {"Variable": "$.n", "NumericEquals": "x"}},
            ["The value of 'NumericEquals' must be a number at /C/0/Not/NumericEquals"],
        ),
        (
            {"Or": [{"Variable": "$.n", "IsNull": 1}]},
            ["The value of 'IsNull' must be a boolean at /C/0/Or/0/IsNull"],
        ),
        (
            {"Condition": "not jsonata"},
            ["The field 'Condition' must be a boolean or a JSONata expression at /C/0"],
        ),
    ],
)
def test_invalid_rules_are_refused_naming_the_json_pointer(rule: dict[str, Any], problems: list[str]) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_choice_rule({**rule, "Next": "X"}, "/C/0")

    assert caught.value.problems == problems
