"""JSONata with $states and AWS's functions (jsonata_query.py, jsonata_functions.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fleetops.engine.errors import StatesError
from fleetops.engine.expressions import evaluate_jsonata, evaluate_jsonata_template, unexpected_type

STATES = {"input": {"a": 1, "list": [1, 2, 3], "nothing": None}, "context": {"State": {"Name": "S"}}}
VARIABLES = {"count": 2}


def run(expression: str) -> Any:
    return evaluate_jsonata(expression, states=STATES, variables=VARIABLES, field="Output")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$states.input.a + $count", 3),
        ("$states.context.State.Name", "S"),
        ("$states.input.nothing", None),
        ("[$states.input.nothing, 1]", [None, 1]),
        ("$partition([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
        ("$partition([0], 2)", [[0]]),
        ("$range(0, 9, 3)", [0, 3, 6, 9]),
        ("$range(1, 9, 9)", 1),
        ("$hash('input data', 'MD5')", "812f45842bc6d66ee14572ce20db8e86"),
        ("$parse('[1, 2, \"HelloWorld\"]')", [1, 2, "HelloWorld"]),
        ("$parse('null')", None),
        ("$parse('-0')", 0),
        ("$random(7) = $random(7)", True),
        ("$contains('hello$world', /^hello\\$/)", True),
        ("{'half': 1 / 2, 'whole': 2 * 1.5}", {"half": 0.5, "whole": 3}),
    ],
)
def test_expression_gives_the_expected_value(expression: str, expected: Any) -> None:
    assert run(expression) == expected


def test_a_variable_holding_null_is_null_not_undefined() -> None:
    states = {"input": {}}

    assert evaluate_jsonata("$v", states=states, variables={"v": None}, field="Items") is None
    assert evaluate_jsonata("$type($v)", states=states, variables={"v": None}, field="Items") == "null"


def test_uuid_is_a_version_4_uuid() -> None:
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", run("$uuid()")
    )


@pytest.mark.parametrize(
    ("expression", "cause"),
    [
        (
            "$doesNotExist",
            "The JSONata expression '$doesNotExist' specified for the field 'Output' "
            "returned nothing (undefined).",
        ),
        (
            "$randomSeeded($states.input.a)",
            "The JSONata expression '$randomSeeded($states.input.a)' specified for the field 'Output' "
            "threw an error during evaluation. T1006: Attempted to invoke a non-function",
        ),
        (
            '$sum(["a"])',
            """The JSONata expression '$sum(["a"])' specified for the field 'Output' threw an error during """
            'evaluation. T0412: Argument 1 of function "sum" must be an array of "numbers"',
        ),
        (
            '$abs("x")',
            """The JSONata expression '$abs("x")' specified for the field 'Output' threw an error during """
            'evaluation. T0410: Argument 1 of function "abs" does not match function signature',
        ),
        (
            "function($x){$x}",
            "The JSONata expression 'function($x){$x}' specified for the field 'Output' "
            "returned an unsupported result type.",
        ),
    ],
)
def test_failures_are_query_evaluation_errors_with_aws_cause(expression: str, cause: str) -> None:
    with pytest.raises(StatesError) as caught:
        run(expression)

    assert caught.value.error == "States.QueryEvaluationError"
    assert caught.value.cause == cause


def test_eval_is_not_available_as_on_aws() -> None:
    with pytest.raises(StatesError) as caught:
        run('$eval("1+1")')

    assert caught.value.cause is not None
    assert caught.value.cause.endswith(
        "threw an error during evaluation. T1006: Attempted to invoke a non-function"
    )


def test_array_items_are_named_with_their_index() -> None:
    with pytest.raises(StatesError) as caught:
        evaluate_jsonata_template({"list": [1, "{% $nope %}"]}, states=STATES, variables={}, field="Output")

    assert caught.value.cause == (
        "The JSONata expression '$nope' specified for the field 'Output/list[1]' "
        "returned nothing (undefined)."
    )


def test_template_evaluates_every_expression_and_names_nested_fields() -> None:
    template = {"plain": "text", "sum": "{% $states.input.a + 1 %}", "list": [1, "{% $count %}"]}

    assert evaluate_jsonata_template(template, states=STATES, variables=VARIABLES, field="Output") == {
        "plain": "text",
        "sum": 2,
        "list": [1, 2],
    }
    with pytest.raises(StatesError) as caught:
        evaluate_jsonata_template({"result": "{% $nope %}"}, states=STATES, variables={}, field="Output")
    assert caught.value.cause == (
        "The JSONata expression '$nope' specified for the field 'Output/result' returned nothing (undefined)."
    )


def test_unexpected_type_is_worded_as_aws_words_it() -> None:
    error = unexpected_type("{'foo': 'bar'}", "Items", "array", {"foo": "bar"})

    assert error.cause == (
        "The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' "
        "returned an unexpected result type. Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"
    )
