"""Pass: "passes its input to its output, performing no work" (or its Result / Output)."""

from __future__ import annotations

from fleetops.engine.definition.common import MISSING
from fleetops.engine.definition.states import PassState
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.frame import StateRun
from fleetops.engine.runtime.outcome import Outcome


async def run(run: StateRun) -> Outcome:
    """Run a Pass state."""
    state = run.state
    assert isinstance(state, PassState)
    if state.jsonata:
        binding = dataflow.states_binding(run, run.raw_input)
        output, assigned = dataflow.finish_jsonata(run, binding, run.raw_input)
        return Outcome(output, state.next, assigned)
    effective = dataflow.select(run, state.input_path, run.raw_input)
    if state.parameters is not MISSING:
        effective = dataflow.payload(run, state.parameters, effective, "Parameters")
    result = state.result if state.result is not MISSING else effective
    output, assigned = dataflow.finish_jsonpath(run, run.raw_input, result)
    return Outcome(output, state.next, assigned)
