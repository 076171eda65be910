"""Wait: "delay the machine from continuing for a specified time".

The due time is counted from the WaitStateEntered event's timestamp, so a run resumed from the
journal waits only for what is left.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fleetops.clock import sleep_until
from fleetops.engine.definition.common import MISSING
from fleetops.engine.definition.fields import is_jsonata, parse_timestamp
from fleetops.engine.definition.states import WaitState
from fleetops.engine.expressions import PathNotFound, resolve_path
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.failures import query_error, runtime, to_json
from fleetops.engine.runtime.frame import StateRun
from fleetops.engine.runtime.outcome import Outcome


async def run(run: StateRun) -> Outcome:
    """Sleep until the due time, then pass the input on."""
    state = run.state
    assert isinstance(state, WaitState)
    if state.jsonata:
        binding = dataflow.states_binding(run, run.raw_input)
        due = _jsonata_due(run, state, binding)
        await sleep_until(run.runner.clock, due)
        output, assigned = dataflow.finish_jsonata(run, binding, run.raw_input)
        return Outcome(output, state.next, assigned)
    effective = dataflow.select(run, state.input_path, run.raw_input)
    await sleep_until(run.runner.clock, _jsonpath_due(run, state, effective))
    assigned = dataflow.jsonpath_assign(run, effective)
    return Outcome(dataflow.select(run, state.output_path, effective), state.next, assigned)


def _jsonpath_due(run: StateRun, state: WaitState, effective: Any) -> datetime:
    if state.seconds_path is not None:
        value = _lookup(run, state.seconds_path, effective, "SecondsPath")
        if isinstance(value, bool) or not isinstance(value, int):
            raise runtime(
                "The SecondsPath parameter cannot be parsed as a long value: "
                f"{state.seconds_path} == {_show(value)}"
            )
        if value < 0:
            raise runtime(
                f"The SecondsPath parameter references a negative value: {state.seconds_path} == {value}"
            )
        return run.entered_time + timedelta(seconds=value)
    if state.timestamp_path is not None:
        value = _lookup(run, state.timestamp_path, effective, "TimestampPath")
        moment = parse_timestamp(value) if isinstance(value, str) else None
        if moment is None:
            raise runtime(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                f"date-time format string: {state.timestamp_path} == {_show(value)}"
            )
        return moment
    if state.timestamp is not MISSING:
        moment = parse_timestamp(state.timestamp)
        assert moment is not None  # validated by the parser
        return moment
    return run.entered_time + timedelta(seconds=int(state.seconds))


def _jsonata_due(run: StateRun, state: WaitState, binding: dict[str, Any]) -> datetime:
    if state.timestamp is not MISSING:
        value = (
            dataflow.jsonata(run, state.timestamp, binding, "Timestamp")
            if is_jsonata(state.timestamp)
            else state.timestamp
        )
        moment = parse_timestamp(value) if isinstance(value, str) else None
        if moment is None:
            raise query_error(
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
                f"format string: {_show(value)}"
            )
        return moment
    value = (
        dataflow.jsonata(run, state.seconds, binding, "Seconds")
        if is_jsonata(state.seconds)
        else state.seconds
    )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise query_error(f"The Seconds field must be a non-negative integer, but was: {_show(value)}")
    return run.entered_time + timedelta(seconds=value)


def _lookup(run: StateRun, path: str, effective: Any, field: str) -> Any:
    try:
        return resolve_path(path, dataflow.scope(run, effective))
    except PathNotFound:
        raise runtime(f"The {field} parameter does not reference an input value: {path}") from None


def _show(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)
