"""Wait: Seconds, Timestamp and their Path forms, on the engine's clock."""

from __future__ import annotations

from typing import Any

from fleetops.testing.engine import run_definition


def wait(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "W", "States": {"W": {"Type": "Wait", **fields, "End": True}}}


def test_seconds_path_waits_that_long() -> None:
    finished = run_definition(wait(SecondsPath="$.s"), {"s": 90})
    assert (finished.result.output, finished.elapsed) == ({"s": 90}, 90.0)


def test_timestamp_path_waits_until_the_time() -> None:
    finished = run_definition(wait(TimestampPath="$.at"), {"at": "2026-01-01T01:00:00Z"})
    assert finished.elapsed == 3600.0


def test_a_timestamp_in_the_past_does_not_wait() -> None:
    assert run_definition(wait(Timestamp="2020-01-01T00:00:00Z"), {}).elapsed == 0.0


def test_negative_seconds_path_is_a_runtime_error() -> None:
    result = run_definition(wait(SecondsPath="$.s"), {"s": -1}).result
    assert (result.error, result.cause) == (
        "States.Runtime",
        "An error occurred while executing the state 'W' (entered at the event id #2). "
        "The SecondsPath parameter references a negative value: $.s == -1",
    )


def test_jsonata_seconds() -> None:
    definition = {"QueryLanguage": "JSONata", **wait(Seconds="{% $states.input.s * 2 %}")}
    assert run_definition(definition, {"s": 15}).elapsed == 30.0


def test_a_missing_seconds_path_says_so() -> None:
    result = run_definition(wait(SecondsPath="$.s"), {}).result
    assert result.cause == (
        "An error occurred while executing the state 'W' (entered at the event id #2). "
        "The SecondsPath parameter does not reference an input value: $.s"
    )
