"""Choice: first matching rule wins, Default otherwise, States.NoChoiceMatched without one."""

from __future__ import annotations

from typing import Any

from fleetops.testing.engine import run_definition, types


def choice(**fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", **fields},
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "End": True},
        },
    }


RULES = [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}]


def test_first_matching_rule_is_taken() -> None:
    finished = run_definition(choice(Choices=RULES, Default="Small"), {"n": 11})
    assert finished.result.output == "big"
    assert types(finished.history)[1:3] == ["ChoiceStateEntered", "ChoiceStateExited"]


def test_default_when_nothing_matches() -> None:
    assert run_definition(choice(Choices=RULES, Default="Small"), {"n": 1}).result.output == "small"


def test_no_match_and_no_default_fails_with_no_choice_matched() -> None:
    rules = [*RULES, {"Variable": "$.n", "NumericLessThan": 0, "Next": "Small"}]
    result = run_definition(choice(Choices=rules), {"n": 1}).result
    assert (result.error, result.cause) == ("States.NoChoiceMatched", "No Matches! in state 'C'")


def test_jsonata_condition_and_rule_assign() -> None:
    definition = choice(
        QueryLanguage="JSONata",
        Choices=[
            {"Condition": "{% $states.input.n > 10 %}", "Assign": {"size": "big"}, "Next": "Read"},
            {"Condition": "{% $states.input.n > 100 %}", "Next": "Big"},
        ],
        Default="Small",
    )
    definition["States"]["Read"] = {
        "Type": "Pass",
        "QueryLanguage": "JSONata",
        "Output": "{% $size %}",
        "End": True,
    }
    assert run_definition(definition, {"n": 11}).result.output == "big"
