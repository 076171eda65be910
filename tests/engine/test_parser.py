"""Parsing reports every problem at once, each with its JSON pointer, worded as AWS does."""

from __future__ import annotations

from typing import Any

import pytest

from fleetops.engine import InvalidDefinition, parse_definition
from fleetops.engine.definition import MapState, PassState, QueryLanguage, TaskState


def problems(definition: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(InvalidDefinition) as caught:
        parse_definition(definition, **kwargs)
    return caught.value.problems


def test_parses_a_machine_into_typed_states() -> None:
    machine = parse_definition(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.x", "Next": "B"},
                "B": {
                    "Type": "Task",
                    "Resource": "fleetops:b",
                    "Retry": [{"ErrorEquals": ["E"]}],
                    "End": True,
                },
            },
        }
    )
    a, b = machine.states["A"], machine.states["B"]
    assert isinstance(a, PassState) and (a.result, a.result_path, a.next) == (1, "$.x", "B")
    assert isinstance(b, TaskState) and b.next is None
    assert (b.retry[0].error_equals, b.retry[0].interval_seconds, b.retry[0].max_attempts) == (("E",), 1.0, 3)


def test_reports_every_problem_with_its_pointer() -> None:
    assert problems(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "Nowhere", "Foo": 1},
                "B": {"Type": "Wait", "Timestamp": "yesterday", "End": True},
            },
        }
    ) == [
        "SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported at /States/A",
        "SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at /States/B/Timestamp",
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/A/Next",
        'MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B',
    ]


def test_message_is_the_create_state_machine_text() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        parse_definition(
            {
                "StartAt": "W",
                "States": {"W": {"Type": "Wait", "Timestamp": "2016-13-05T21:29:29Z", "End": True}},
            }
        )
    assert caught.value.message == (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: String does not match "
        "RFC3339 timestamp "
        "at /States/W/Timestamp'"
    )


def test_missing_top_level_fields() -> None:
    assert problems({}) == ["SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /"]


def test_problems_inside_map_processors_name_the_nested_pointer() -> None:
    assert problems(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass"}}},
                    "End": True,
                }
            },
        }
    ) == ["SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at /States/M/ItemProcessor/States/P"]


def test_item_reader_is_refused_with_a_clear_message() -> None:
    assert problems(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}},
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            },
        }
    ) == [
        "UNSUPPORTED_FEATURE: ItemReader is not supported by fleetops (it reads items from "
        "S3); give the items "
        "in the state input with ItemsPath or Items at /States/M/ItemReader"
    ]


def test_express_machines_refuse_callbacks() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "End": True,
            }
        },
    }
    assert problems(definition, machine_type="EXPRESS") == [
        "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service "
        "integration  at /States/T/Resource"
    ]


def test_states_all_must_be_alone_and_last() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "fleetops:t",
                "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}],
                "End": True,
            }
        },
    }
    assert problems(definition) == [
        "SCHEMA_VALIDATION_FAILED: States.ALL must appear alone in ErrorEquals and only in the "
        "last Retrier or "
        "Catcher at /States/T/Retry[0]/ErrorEquals"
    ]


def test_nested_states_take_the_machine_language_not_their_map_state_language() -> None:
    machine = parse_definition(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "QueryLanguage": "JSONata",
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            },
        }
    )
    state = machine.states["M"]
    assert isinstance(state, MapState)
    assert state.query_language is QueryLanguage.JSONATA
    assert state.processor.states["P"].query_language is QueryLanguage.JSONPATH


def test_a_loop_without_a_terminal_state_is_refused() -> None:
    assert problems(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}
    ) == ["MISSING_END_STATE: Workflow has no terminal state at null"]


def test_query_language_is_inherited_and_legacy_fields_are_mapped() -> None:
    machine = parse_definition(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            },
        }
    )
    state = machine.states["M"]
    assert isinstance(state, MapState)
    assert state.query_language is QueryLanguage.JSONATA
    assert state.processor.states["P"].query_language is QueryLanguage.JSONATA


def test_jsonpath_fields_are_refused_in_jsonata_states() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "InputPath": "$.a", "End": True}},
    }
    assert problems(definition) == [
        "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'InputPath' is only "
        "supported for the 'JSONPath' QueryLanguage at /States/P"
    ]


def test_jsonata_expressions_are_checked_when_the_definition_is_parsed() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": {"v": "{% phone %}", "w": "{% 1 + %}"}, "End": True}},
    }
    found = problems(definition)
    assert found[0] == (
        "UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported. "
        "at /States/P/Output/v"
    )
    assert found[1].startswith("INVALID_JSONATA_EXPRESSION: ")
    assert found[1].endswith(" at /States/P/Output/w")
