"""Validation errors say where and what was expected, and never echo a secret."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fleetops.errors import BadInput, FleetopsError, Refused
from fleetops.server.errors import describe_validation_error
from fleetops.store import Outcome
from fleetops.testing.api import ApiHarness


def test_describes_location_message_and_value() -> None:
    error = {
        "loc": ("body", "replicas"),
        "msg": "Input should be a valid integer",
        "input": "x",
        "type": "int_parsing",
    }
    assert describe_validation_error(error) == "body.replicas: Input should be a valid integer (got 'x')"


def test_does_not_echo_a_secret_value() -> None:
    error = {
        "loc": ("body", "password"),
        "msg": "String should have at most 64 characters",
        "input": "hunter2" * 20,
    }
    assert describe_validation_error(error) == "body.password: String should have at most 64 characters"


def test_does_not_echo_long_or_structured_values() -> None:
    error = {
        "loc": ("body",),
        "msg": "Input should be a valid dictionary",
        "input": ["a", "b"],
        "type": "dict_type",
    }
    assert describe_validation_error(error) == "body: Input should be a valid dictionary"


def _app_raising(api: ApiHarness, error: Exception) -> TestClient:
    @api.app.post("/api/v1/test-raise", name="test.raise")
    def _raise() -> None:
        raise error

    return TestClient(api.app, raise_server_exceptions=False, headers={"Authorization": "Bearer x"})


_INTERNAL = "internal error (RuntimeError); the server log has the details"
ERROR_CASES = [
    (BadInput("2 problems", ["a: x", "b: y"]), 400, "bad_input", "2 problems", Outcome.BAD_INPUT),
    (Refused("lock held by deploy 7"), 423, "refused", "lock held by deploy 7", Outcome.REFUSED),
    (FleetopsError("rollout failed"), 500, "failed", "rollout failed", Outcome.FAILED),
    (RuntimeError("secret detail"), 500, "internal", _INTERNAL, Outcome.FAILED),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda case: type(case[0]).__name__)
def test_errors_map_to_statuses_and_are_audited(
    api: ApiHarness, case: tuple[Exception, int, str, str, Outcome]
) -> None:
    error, status, code, message, outcome = case
    response = _app_raising(api, error).post("/api/v1/test-raise")
    body = {"error": code, "message": message}
    if isinstance(error, BadInput):
        body["problems"] = error.problems  # type: ignore[assignment]
    assert (response.status_code, response.json()) == (status, body)
    [entry] = api.store.audit.list(action="test.raise")
    assert entry.outcome is outcome
    assert "secret detail" not in (entry.error or "")
