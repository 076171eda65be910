"""Payload templates (fleetops/engine/expressions/payload.py) and path fields (fields.py)."""

from __future__ import annotations

import pytest

from fleetops.engine.errors import StatesError
from fleetops.engine.expressions import (
    Scope,
    evaluate_payload,
    resolve_field_path,
    resolve_io_path,
    validate_payload_template,
)

SCOPE = Scope({"name": "Arnav", "list": [1, 2]}, {"State": {"Name": "S"}}, {"greeting": "hi"})


def test_keys_ending_in_dollar_are_evaluated_and_renamed_at_any_depth() -> None:
    template = {
        "static": "$.name",
        "who.$": "$.name",
        "nested": {"state.$": "$$.State.Name", "items": [{"var.$": "$greeting"}, "$.name"]},
        "text.$": "States.Format('Hello, {}', $.name)",
    }

    assert evaluate_payload(template, SCOPE) == {
        "static": "$.name",
        "who": "Arnav",
        "nested": {"state": "S", "items": [{"var": "hi"}, "$.name"]},
        "text": "Hello, Arnav",
    }


def test_a_missing_path_fails_with_aws_cause_naming_the_field() -> None:
    with pytest.raises(StatesError) as caught:
        evaluate_payload({"value.$": "$.no_such"}, Scope({"int-literal": 0}))

    assert caught.value.error == "States.Runtime"
    assert caught.value.cause == (
        "The JSONPath '$.no_such' specified for the field 'value.$' could not be found in the input "
        """'{"int-literal":0}'"""
    )


def test_a_missing_path_inside_an_intrinsic_fails_the_same_way() -> None:
    with pytest.raises(StatesError) as caught:
        evaluate_payload({"v.$": "States.Array($.x)"}, SCOPE)

    assert caught.value.cause is not None
    assert caught.value.cause.startswith("The JSONPath '$.x' specified for the field 'v.$'")


def test_an_invalid_intrinsic_is_reported_as_aws_reports_it() -> None:
    template = {"parsed.$": "States.Format('He said, \\\"Hello, {}!\\\"', 'Test')"}

    assert validate_payload_template(template, "/States/IntrinsicEscape/Parameters") == [
        "The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic function call "
        "at /States/IntrinsicEscape/Parameters"
    ]


def test_a_valid_template_has_no_problems() -> None:
    assert validate_payload_template({"a": {"b.$": "$.x", "c.$": "States.UUID()"}}, "/P") == []


def test_input_and_output_paths_fail_with_jayway_wording() -> None:
    with pytest.raises(StatesError) as caught:
        resolve_io_path("$.NoSuchOutputPath", Scope({"int-literal": 0}))

    assert (
        caught.value.cause == "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"
    )


def test_null_input_path_gives_an_empty_object() -> None:
    assert resolve_io_path(None, SCOPE) == {}


def test_error_path_fails_with_the_field_wording() -> None:
    with pytest.raises(StatesError) as caught:
        resolve_field_path("$.ErrorX", Scope({"a": 1}), "ErrorPath")

    assert caught.value.cause == (
        "The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input "
        """'{"a":1}'"""
    )


def test_error_and_cause_paths_may_be_intrinsic_functions() -> None:
    scope = Scope({"Error": "E1", "Cause": "boom"})
    cause_path = "States.Format('This is a custom error message for {}, caused by {}.', $.Error, $.Cause)"

    assert resolve_field_path("States.Format('{}', $.Error)", scope, "ErrorPath") == "E1"
    assert resolve_field_path(cause_path, scope, "CausePath") == (
        "This is a custom error message for E1, caused by boom."
    )
