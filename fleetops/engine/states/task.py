"""Task: "causes the interpreter to execute the work identified by the state's Resource field".

"TimeoutSeconds ... If not provided, the default value is 99999999 ... HeartbeatSeconds ...
MUST be smaller than TimeoutSeconds." A timeout fails the task with States.Timeout, a
missed heartbeat with States.HeartbeatTimeout.
"""

from __future__ import annotations

from typing import Any

from fleetops.engine.definition.common import MISSING
from fleetops.engine.definition.fields import is_jsonata
from fleetops.engine.definition.resources import parse_resource
from fleetops.engine.definition.states import TaskState
from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.failures import runtime, to_json
from fleetops.engine.runtime.frame import StateRun
from fleetops.engine.runtime.invoke import invoke, task_token
from fleetops.engine.runtime.outcome import Outcome


async def run(run: StateRun) -> Outcome:
    """Evaluate the payload, call the resource, shape the result."""
    state = run.state
    assert isinstance(state, TaskState)
    ref = parse_resource(state.resource)
    if ref is None:
        raise StatesError(StatesErrorName.RUNTIME, f"The resource {state.resource!r} is not recognized")
    token = task_token(run)
    context = run.context(task_token=token)
    if state.jsonata:
        binding = dataflow.states_binding(run, run.raw_input, context=context)
        payload = (
            dataflow.jsonata(run, state.parameters, binding, "Arguments")
            if state.parameters is not MISSING
            else run.raw_input
        )
        timeout = _seconds(run, state.timeout_seconds, None, binding, "TimeoutSeconds")
        heartbeat = _seconds(run, state.heartbeat_seconds, None, binding, "HeartbeatSeconds")
        result = await invoke(run, ref, payload, timeout=timeout, heartbeat=heartbeat)
        result_binding = dataflow.states_binding(run, run.raw_input, result=result, context=context)
        output, assigned = dataflow.finish_jsonata(run, result_binding, result)
        return Outcome(output, state.next, assigned)
    effective = dataflow.select(run, state.input_path, run.raw_input)
    payload = effective
    if state.parameters is not MISSING:
        payload = dataflow.payload(run, state.parameters, effective, "Parameters", context=context)
    timeout = _seconds(
        run, state.timeout_seconds, state.timeout_seconds_path, effective, "TimeoutSecondsPath"
    )
    heartbeat = _seconds(
        run, state.heartbeat_seconds, state.heartbeat_seconds_path, effective, "HeartbeatSecondsPath"
    )
    result = await invoke(run, ref, payload, timeout=timeout, heartbeat=heartbeat)
    output, assigned = dataflow.finish_jsonpath(run, run.raw_input, result, selector=state.result_selector)
    return Outcome(output, state.next, assigned)


def _seconds(run: StateRun, literal: Any, path: str | None, scope_value: Any, field: str) -> float | None:
    """TimeoutSeconds/HeartbeatSeconds from a literal, a path, or a JSONata expression."""
    if path is not None:
        value = dataflow.reference(run, path, scope_value, field)
    elif literal is MISSING:
        return None
    elif is_jsonata(literal):
        value = dataflow.jsonata(run, literal, scope_value, field)
    else:
        value = literal
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise runtime(f"The {field} field must be a positive integer, but was: {to_json(value)}")
    return float(value)
