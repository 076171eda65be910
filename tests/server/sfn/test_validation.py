"""Step Functions requests are checked against AWS's service model: types, lengths, enums, nesting."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from fleetops.server.auth import Role
from fleetops.store import Outcome
from fleetops.testing.api import ApiHarness
from fleetops.testing.sfn import ROLE_ARN

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:m"


def _call(api: ApiHarness, action: str, body: dict[str, Any] | bytes, role: Role = Role.ADMIN) -> Response:
    client = TestClient(api.app)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        "/",
        content=content,
        headers={
            "Authorization": f"Bearer {api.tokens[role]}",
            "X-Amz-Target": f"AWSStepFunctions.{action}",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )


def _error(response: Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["__type"], body["message"]


def _machine(api: ApiHarness) -> str:
    created = _call(api, "CreateStateMachine", {"name": "m", "definition": PASS, "roleArn": ROLE_ARN})
    assert created.status_code == 200, created.text
    return str(created.json()["stateMachineArn"])


def _one(value: str, constraint: str) -> tuple[int, str, str]:
    problem = f"{value} failed to satisfy constraint: {constraint}"
    return 400, "ValidationException", f"1 validation error detected: {problem}"


@pytest.mark.parametrize(
    ("action", "body", "expected"),
    [
        (
            "StartExecution",
            {"stateMachineArn": MACHINE, "input": {"a": 1}},
            _one("Value at 'input'", "Member must be a string"),
        ),
        (
            "StartExecution",
            {"stateMachineArn": MACHINE, "name": 5},
            _one("Value '5' at 'name'", "Member must be a string"),
        ),
        (
            "StartExecution",
            {"stateMachineArn": MACHINE, "input": "x" * 262_145},
            _one("Value at 'input'", "Member must have length less than or equal to 262144"),
        ),
        (
            "CreateStateMachine",
            {"name": "m", "definition": PASS, "roleArn": {"a": 1}, "type": {"b": 2}},
            (
                400,
                "ValidationException",
                "2 validation errors detected: "
                "Value at 'roleArn' failed to satisfy constraint: Member must be a string; "
                "Value at 'type' failed to satisfy constraint: Member must be a string",
            ),
        ),
        (
            "CreateStateMachine",
            {"name": "m", "definition": PASS, "roleArn": ROLE_ARN, "type": "FOO"},
            _one("Value 'FOO' at 'type'", "Member must satisfy enum value set: [STANDARD, EXPRESS]"),
        ),
        (
            "CreateStateMachine",
            {"name": "m", "definition": PASS, "roleArn": "a" * 1_000_000},
            _one("Value at 'roleArn'", "Member must have length less than or equal to 256"),
        ),
        (
            "CreateStateMachine",
            {"name": "m", "definition": " " * 1_048_577, "roleArn": ROLE_ARN},
            _one("Value at 'definition'", "Member must have length less than or equal to 1048576"),
        ),
        (
            "CreateStateMachine",
            {"name": "m", "definition": PASS},
            _one("Value null at 'roleArn'", "Member must not be null"),
        ),
        (
            "ListStateMachines",
            {"maxResults": "5"},
            _one("Value '5' at 'maxResults'", "Member must be an integer"),
        ),
        (
            "ListStateMachines",
            {"maxResults": 1001},
            _one("Value '1001' at 'maxResults'", "Member must have value less than or equal to 1000"),
        ),
        (
            "GetExecutionHistory",
            {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e", "reverseOrder": 1},
            _one("Value '1' at 'reverseOrder'", "Member must be a boolean"),
        ),
    ],
)
def test_a_request_outside_the_model_is_a_validation_exception(
    api: ApiHarness, action: str, body: dict[str, Any], expected: tuple[int, str, str]
) -> None:
    assert _error(_call(api, action, body)) == expected


def test_a_refused_start_changes_nothing_and_is_audited(api: ApiHarness) -> None:
    arn = _machine(api)
    response = _call(api, "StartExecution", {"stateMachineArn": arn, "input": {"requested_by": "x"}})
    assert response.status_code == 400
    listed = _call(api, "ListExecutions", {"stateMachineArn": arn}).json()
    assert listed == {"executions": []}
    [entry] = api.store.audit.list(action="executions.start")
    assert (entry.outcome, entry.arguments) == (
        Outcome.BAD_INPUT,
        {"stateMachineArn": arn, "input": {"requested_by": "x"}},
    )


def test_a_10_mb_definition_is_too_large_for_the_endpoint(api: ApiHarness) -> None:
    body = {"name": "m", "definition": " " * 10_000_000, "roleArn": ROLE_ARN}
    assert _error(_call(api, "CreateStateMachine", body)) == (
        413,
        "RequestEntityTooLargeException",
        f"the request body ({len(json.dumps(body))} bytes or more) is larger than this endpoint accepts "
        "(4194304 bytes)",
    )


def test_input_nested_10000_levels_is_invalid_execution_input(api: ApiHarness) -> None:
    arn = _machine(api)
    deep = "[" * 10_000 + "]" * 10_000
    assert _error(_call(api, "StartExecution", {"stateMachineArn": arn, "input": deep})) == (
        400,
        "InvalidExecutionInput",
        "Invalid input for StartExecution: it nests deeper than 64 levels of arrays and objects "
        "(fleetops' limit)",
    )
    [entry] = api.store.audit.list(action="executions.start")
    assert entry.outcome is Outcome.BAD_INPUT


def test_a_body_nested_10000_levels_is_a_validation_exception(api: ApiHarness) -> None:
    raw = b'{"stateMachineArn": "' + MACHINE.encode() + b'", "input": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    assert _error(_call(api, "StartExecution", raw)) == (
        400,
        "ValidationException",
        "the request body nests deeper than 64 levels of arrays and objects (the limit)",
    )
