"""Succeed: "terminates a state machine successfully" (its output is its filtered input)."""

from __future__ import annotations

from fleetops.engine.definition.states import SucceedState
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.frame import StateRun
from fleetops.engine.runtime.outcome import Outcome


async def run(run: StateRun) -> Outcome:
    """Run a Succeed state."""
    state = run.state
    assert isinstance(state, SucceedState)
    if state.jsonata:
        output, _ = dataflow.finish_jsonata(run, dataflow.states_binding(run, run.raw_input), run.raw_input)
        return Outcome(output, None)
    effective = dataflow.select(run, state.input_path, run.raw_input)
    return Outcome(dataflow.select(run, state.output_path, effective), None)
