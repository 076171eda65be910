"""Every States.* function with exact results (fleetops/engine/expressions/intrinsics/*)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fleetops.engine.errors import StatesError
from fleetops.engine.expressions import Scope, evaluate_intrinsic

SCOPE = Scope(
    input={
        "obj": {"Arg1": 1, "Arg2": [], "s": "x"},
        "list": [1, "a", None, True],
        "template": "Hello, my name is {}.",
        "name": "Arnav",
        "text": "This.is+a,test=string",
    },
    context={"StateMachine": {"Id": "arn:sm", "Name": "sm-name"}},
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("States.Format('Hello, my name is {}.', $.name)", "Hello, my name is Arnav."),
        ("States.Format($.template, $.name)", "Hello, my name is Arnav."),
        (
            "States.Format('{} {} {} {}', $.obj, $.list, 1.5, null)",
            "{Arg1=1, Arg2=[], s=x} [1, a, null, true] 1.5 null",
        ),
        ("States.Format('{}', $$.StateMachine)", "{Id=arn:sm, Name=sm-name}"),
        ("States.StringToJson('{\"a\": [1, 2]}')", {"a": [1, 2]}),
        ("States.StringToJson('')", None),
        ("States.JsonToString($.obj)", '{"Arg1":1,"Arg2":[],"s":"x"}'),
        ("States.JsonToString('text')", '"text"'),
        ("States.Array()", []),
        ("States.Array(1, 'a', $.list[2])", [1, "a", None]),
        ("States.ArrayPartition(States.ArrayRange(1, 9, 1), 4)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ("States.ArrayContains($.list, true)", True),
        ("States.ArrayContains($.list, 1.0)", True),
        ("States.ArrayContains(States.Array(1), true)", False),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(0, 10, 3)", [0, 3, 6, 9]),
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayRange(5, 1, 2)", []),
        ("States.ArrayGetItem($.list, 1)", "a"),
        ("States.ArrayLength($.list)", 4),
        ("States.ArrayUnique(States.Array(1, 1.0, true, 'a', 'a', null, null))", [1, True, "a", None]),
        ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode('RGF0YSB0byBkZWNvZGU=')", "Data to decode"),
        ("States.Hash('input data', 'SHA-1')", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        (
            "States.JsonMerge($.obj, States.StringToJson('{\"s\": 2}'), false)",
            {"Arg1": 1, "Arg2": [], "s": 2},
        ),
        ("States.MathAdd(1.5, -1.5)", 1),
        ("States.MathAdd(-2.5, 0)", -2),
        ("States.MathAdd(111, -1)", 110),
        ("States.StringSplit($.text, '.+,=')", ["This", "is", "a", "test", "string"]),
        ("States.StringSplit(',a,,b,', ',')", ["a", "b"]),
    ],
)
def test_function_gives_the_documented_result(expression: str, expected: Any) -> None:
    assert evaluate_intrinsic(expression, SCOPE) == expected


def test_math_random_is_between_start_inclusive_and_end_exclusive() -> None:
    results = {evaluate_intrinsic("States.MathRandom(1, 3)", SCOPE) for _ in range(200)}

    assert results == {1, 2}


def test_math_random_with_a_seed_repeats() -> None:
    first = evaluate_intrinsic("States.MathRandom(0, 1000, 7)", SCOPE)

    assert evaluate_intrinsic("States.MathRandom(0, 1000, 7)", SCOPE) == first


def test_uuid_is_a_version_4_uuid() -> None:
    value = evaluate_intrinsic("States.UUID()", SCOPE)

    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)


@pytest.mark.parametrize(
    ("expression", "cause"),
    [
        (
            "States.Format('{} {}', 1)",
            "Invalid arguments in States.Format: the template has 2 placeholder(s) but 1",
        ),
        (
            "States.ArrayPartition($.list, 0)",
            "Invalid arguments in States.ArrayPartition: the chunk size must be",
        ),
        (
            "States.ArrayGetItem($.list, 4)",
            "Invalid arguments in States.ArrayGetItem: the index 4 is out of bounds",
        ),
        (
            "States.ArrayLength($.name)",
            'Invalid arguments in States.ArrayLength: the first argument must be an array, got "Arnav"',
        ),
        (
            "States.ArrayRange(0, 1000, 1)",
            "Invalid arguments in States.ArrayRange: the range would have 1001 items",
        ),
        ("States.ArrayRange(0, 10, 0)", "Invalid arguments in States.ArrayRange: the step must not be 0"),
        ("States.Hash('x', 'SHA-999')", "Invalid arguments in States.Hash: the algorithm must be one of MD5"),
        (
            "States.JsonMerge($.obj, $.obj, true)",
            "Invalid arguments in States.JsonMerge: the third argument must be false",
        ),
        (
            "States.MathAdd(2147483648, 0)",
            "Invalid arguments in States.MathAdd: 2147483648 is outside the range",
        ),
        (
            "States.StringToJson('{')",
            "Invalid arguments in States.StringToJson: the argument is not JSON text",
        ),
        ("States.Base64Decode('%%%')", "Invalid arguments in States.Base64Decode: the input is not Base64"),
    ],
)
def test_unusable_arguments_fail_with_intrinsic_failure(expression: str, cause: str) -> None:
    with pytest.raises(StatesError) as caught:
        evaluate_intrinsic(expression, SCOPE)

    assert caught.value.error == "States.IntrinsicFailure"
    assert caught.value.cause is not None and caught.value.cause.startswith(cause)
