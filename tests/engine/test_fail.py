"""Fail: Error/Cause, their Path forms (paths or intrinsic functions), and JSONata."""

from __future__ import annotations

from fleetops.engine import ExecutionStatus
from fleetops.testing.engine import run_definition


def fail(**fields: object) -> dict[str, object]:
    return {"StartAt": "F", "States": {"F": {"Type": "Fail", **fields}}}


def test_error_and_cause_literals() -> None:
    result = run_definition(fail(Error="E", Cause="C")).result
    assert (result.status, result.error, result.cause) == (ExecutionStatus.FAILED, "E", "C")


def test_cause_path_may_be_an_intrinsic_function() -> None:
    result = run_definition(
        fail(ErrorPath="$.kind", CausePath="States.Format('{} failed', $.service)"),
        {"kind": "Deploy", "service": "api"},
    ).result
    assert (result.error, result.cause) == ("Deploy", "api failed")


def test_without_error_or_cause_none_is_reported() -> None:
    result = run_definition(fail()).result
    assert (result.status, result.error, result.cause) == (ExecutionStatus.FAILED, None, None)


def test_jsonata_error_and_cause() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        **fail(Error="{% $states.input.e %}", Cause="{% 'because ' & $states.input.c %}"),
    }
    result = run_definition(definition, {"e": "Bad", "c": "x"}).result
    assert (result.error, result.cause) == ("Bad", "because x")
