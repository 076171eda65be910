"""Pass: JSONPath's InputPath -> Parameters -> Result -> ResultPath -> OutputPath; JSONata Output."""

from __future__ import annotations

from fleetops.testing.engine import run_definition


def test_jsonpath_fields_apply_in_aws_order() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "InputPath": "$.in",
                "Parameters": {"doubled.$": "States.MathAdd($.v, $.v)"},
                "ResultPath": "$.out",
                "OutputPath": "$.out",
                "End": True,
            }
        },
    }
    # ResultPath merges into the raw input, not the InputPath selection.
    assert run_definition(definition, {"in": {"v": 4}}).result.output == {"doubled": 8}


def test_result_path_null_keeps_the_input() -> None:
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Result": 1, "ResultPath": None, "End": True}},
    }
    assert run_definition(definition, {"a": 1}).result.output == {"a": 1}


def test_assign_is_visible_to_later_states_not_to_its_own_output_path() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"x": 2}, "OutputPath": "$x", "End": True},
        },
    }
    assert run_definition(definition, {}).result.output == 1


def test_jsonata_output() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Output": {"sum": "{% $states.input.a + $states.input.b %}"}, "End": True}
        },
    }
    assert run_definition(definition, {"a": 1, "b": 2}).result.output == {"sum": 3}
