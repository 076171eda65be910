"""Choice: "adds branching logic"; the first matching rule's Next, else Default.

"If no Choice Rule matches and no Default is provided, the interpreter raises a
States.NoChoiceMatched error."
"""

from __future__ import annotations

from typing import Any

from fleetops.engine.definition.common import MISSING
from fleetops.engine.definition.states import ChoiceBranch, ChoiceState
from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.expressions import Scope
from fleetops.engine.expressions.jsonata_query import evaluate_condition
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.frame import StateRun
from fleetops.engine.runtime.outcome import Outcome


async def run(run: StateRun) -> Outcome:
    """Pick the next state."""
    state = run.state
    assert isinstance(state, ChoiceState)
    if state.jsonata:
        binding = dataflow.states_binding(run, run.raw_input)
        for branch in state.choices:
            if _condition(run, branch, binding):
                output, assigned = dataflow.finish_jsonata(
                    run,
                    binding,
                    run.raw_input,
                    output=_or(branch.output, state.output),
                    assign=_or(branch.assign, state.assign),
                )
                return Outcome(output, branch.next, assigned)
        target = _default(state)
        output, assigned = dataflow.finish_jsonata(run, binding, run.raw_input)
        return Outcome(output, target, assigned)
    effective = dataflow.select(run, state.input_path, run.raw_input)
    scope = dataflow.scope(run, effective)
    chosen: ChoiceBranch | None = None
    for branch in state.choices:
        if branch.rule is not None and branch.rule.evaluate(scope):
            chosen = branch
            break
    target = chosen.next if chosen is not None else _default(state)
    assign = chosen.assign if chosen is not None and chosen.assign is not MISSING else state.assign
    assigned = dict(dataflow.payload(run, assign, effective, "Assign")) if assign is not MISSING else None
    return Outcome(dataflow.select(run, state.output_path, effective), target, assigned)


def _or(first: Any, second: Any) -> Any:
    return first if first is not MISSING else second


def _default(state: ChoiceState) -> str:
    if state.default is None:
        raise StatesError(StatesErrorName.NO_CHOICE_MATCHED, f"No Matches! in state '{state.name}'")
    return state.default


def _condition(run: StateRun, branch: ChoiceBranch, binding: dict[str, Any]) -> bool:
    scope = Scope(input=binding["input"], context=binding["context"], variables=run.branch.variables)
    return evaluate_condition(branch.condition, scope)
