"""Fail: "terminates the machine and marks it as a failure", with its Error and Cause."""

from __future__ import annotations

from typing import Any

from fleetops.engine.definition.common import MISSING
from fleetops.engine.definition.states import FailState
from fleetops.engine.errors import StatesError
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.failures import runtime, to_json
from fleetops.engine.runtime.frame import StateRun
from fleetops.engine.runtime.outcome import Outcome


async def run(run: StateRun) -> Outcome:
    """Raise the Fail state's error (a Fail state never exits)."""
    state = run.state
    assert isinstance(state, FailState)
    if state.jsonata:
        binding = dataflow.states_binding(run, run.raw_input)
        error = dataflow.jsonata(run, state.error, binding, "Error") if state.error is not MISSING else None
        cause = dataflow.jsonata(run, state.cause, binding, "Cause") if state.cause is not MISSING else None
    else:
        error = _field(run, state.error, state.error_path, "ErrorPath")
        cause = _field(run, state.cause, state.cause_path, "CausePath")
    raise StatesError(error, cause)


def _field(run: StateRun, literal: Any, path: str | None, name: str) -> str | None:
    if path is not None:
        value = dataflow.reference(run, path, run.raw_input, name)
        if not isinstance(value, str):
            raise runtime(
                f"The JSONPath '{path}' specified for the field '{name}' returned a non-string value: "
                f"{to_json(value)}"
            )
        return value
    return None if literal is MISSING else str(literal)
