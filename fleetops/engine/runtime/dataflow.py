"""Moving data through a state: JSONPath's InputPath -> Parameters -> ResultSelector ->
ResultPath -> OutputPath, and JSONata's Arguments/Output with ``$states``; plus ``Assign``.

    "The value of InputPath ... selects the state's effective input; ... Parameters ...
    ResultSelector ... ResultPath ... determines the combination of the state input and the
    task result; OutputPath ... selects the state's output." (Step Functions guide, in that order)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fleetops.engine.definition.common import MISSING
from fleetops.engine.expressions import (
    Scope,
    evaluate_jsonata_template,
    evaluate_payload,
    resolve_field_path,
    resolve_io_path,
    set_path,
)
from fleetops.engine.runtime.frame import StateRun


def scope(run: StateRun, value: Any, *, context: Mapping[str, Any] | None = None) -> Scope:
    """What JSONPath expressions of this state see, with ``$`` bound to ``value``."""
    return Scope(
        input=value, context=context if context is not None else run.context(), variables=run.branch.variables
    )


def select(run: StateRun, path: str | None, value: Any) -> Any:
    """InputPath, OutputPath or ItemsPath: null selects ``{}``."""
    if path == "$":
        return value
    return resolve_io_path(path, scope(run, value))


def reference(run: StateRun, path: str, value: Any, field: str) -> Any:
    """A ``*Path`` field that reads one value (ErrorPath, SecondsPath, MaxConcurrencyPath...)."""
    return resolve_field_path(path, scope(run, value), field)


def payload(
    run: StateRun, template: Any, value: Any, field: str, *, context: Mapping[str, Any] | None = None
) -> Any:
    """Parameters, ResultSelector or ItemSelector evaluated against ``value``."""
    return evaluate_payload(template, scope(run, value, context=context), field=field)


def place_result(run: StateRun, raw_input: Any, result: Any) -> Any:
    """ResultPath: null keeps the input, ``$`` replaces it, a path sets the result inside it."""
    result_path = getattr(run.state, "result_path", "$")
    if result_path is None:
        return raw_input
    if result_path == "$":
        return result
    return set_path(raw_input, result_path, result)


def jsonpath_assign(run: StateRun, value: Any) -> dict[str, Any] | None:
    """``Assign`` of a JSONPath state: ``.$`` keys evaluated with ``$`` bound to ``value``."""
    assign = run.state.assign
    if assign is MISSING:
        return None
    return dict(evaluate_payload(assign, scope(run, value), field="Assign"))


def finish_jsonpath(
    run: StateRun, raw_input: Any, result: Any, *, selector: Any = MISSING
) -> tuple[Any, dict[str, Any] | None]:
    """ResultSelector -> Assign -> ResultPath -> OutputPath; variables are set by the caller."""
    if selector is not MISSING:
        result = payload(run, selector, result, "ResultSelector")
    assigned = jsonpath_assign(run, result)
    combined = place_result(run, raw_input, result)
    return select(run, run.state.output_path, combined), assigned


def states_binding(
    run: StateRun,
    value: Any,
    *,
    result: Any = MISSING,
    error_output: Any = MISSING,
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``$states`` variable of JSONata expressions."""
    binding: dict[str, Any] = {"input": value, "context": context if context is not None else run.context()}
    if result is not MISSING:
        binding["result"] = result
    if error_output is not MISSING:
        binding["errorOutput"] = error_output
    return binding


def jsonata(run: StateRun, value: Any, binding: Mapping[str, Any], field: str) -> Any:
    """A JSONata-mode field value: every ``{% %}`` string inside it evaluated."""
    return evaluate_jsonata_template(value, states=binding, variables=run.branch.variables, field=field)


def finish_jsonata(
    run: StateRun,
    binding: Mapping[str, Any],
    default_output: Any,
    *,
    output: Any = MISSING,
    assign: Any = MISSING,
) -> tuple[Any, dict[str, Any] | None]:
    """Output and Assign of a JSONata state; both see the variables as they were on entry."""
    output = run.state.output if output is MISSING else output
    assign = run.state.assign if assign is MISSING else assign
    assigned = dict(jsonata(run, assign, binding, "Assign")) if assign is not MISSING else None
    value = jsonata(run, output, binding, "Output") if output is not MISSING else default_output
    return value, assigned


def finish_results(run: StateRun, results: Any, *, selector: Any) -> tuple[Any, dict[str, Any] | None]:
    """Output and Assign of a Map or Parallel state from its results, in the state's query language."""
    if run.state.jsonata:
        return finish_jsonata(run, states_binding(run, run.raw_input, result=results), results)
    return finish_jsonpath(run, run.raw_input, results, selector=selector)
