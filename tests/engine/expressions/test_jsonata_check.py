"""Definition-time JSONata checks (fleetops/engine/expressions/jsonata_check.py)."""

from __future__ import annotations

import pytest

from fleetops.engine.expressions import JsonataProblem, check_jsonata, check_jsonata_template


@pytest.mark.parametrize(
    "expression",
    [
        "$states.input.a + 1",
        "$states.input[price > 1].name",
        "$x := 1",
        "function($x){$x.y}",
        "{'foo': 'bar'}",
        '$number("2")',
        "$v.w",
    ],
)
def test_expressions_aws_accepts_have_no_problems(expression: str) -> None:
    assert check_jsonata(expression, "/States/E/Output") == []


def test_an_expression_that_does_not_parse_is_invalid() -> None:
    assert check_jsonata("1 +", "/States/Main/Output") == [
        JsonataProblem("INVALID_JSONATA_EXPRESSION", "Unexpected end of expression", "/States/Main/Output")
    ]


@pytest.mark.parametrize(
    ("expression", "name"),
    [("phone", "phone"), ("a.b + $states.input.x", "a"), ("$count(items)", "items"), ('{"k": name}', "name")],
)
def test_a_bare_name_at_the_top_level_is_unsupported(expression: str, name: str) -> None:
    assert check_jsonata(expression, "/States/E/Output/v") == [
        JsonataProblem(
            "UNSUPPORTED_JSONATA_EXPRESSION",
            f"Reference to '{name}' at the top level is not supported.",
            "/States/E/Output/v",
        )
    ]


def test_a_template_reports_each_expression_at_its_own_location() -> None:
    problems = check_jsonata_template(
        {"v": "{% phone %}", "ok": ["{% $states.input %}", "{% 1 + %}"]}, "/S/Output"
    )

    assert [(problem.code, problem.location) for problem in problems] == [
        ("UNSUPPORTED_JSONATA_EXPRESSION", "/S/Output/v"),
        ("INVALID_JSONATA_EXPRESSION", "/S/Output/ok/1"),
    ]
