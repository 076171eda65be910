"""The Map state's inputs: its items, concurrency, tolerances, ItemSelector and ItemBatcher."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleetops.engine.definition.common import MISSING
from fleetops.engine.definition.fields import is_jsonata
from fleetops.engine.definition.states import MapState
from fleetops.engine.errors import StatesError
from fleetops.engine.expressions import expression_of, unexpected_type
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.failures import query_error, runtime, to_json
from fleetops.engine.runtime.frame import StateRun


@dataclass(frozen=True)
class MapSettings:
    """What a Map run was resolved to before its first iteration."""

    items: list[Any]
    max_concurrency: int
    tolerated_count: float | None
    tolerated_percentage: float | None
    scope_value: Any  # `$` for ItemSelector (JSONPath: the effective input; JSONata: the input)
    # AWS reports a bad tolerance only after MapStateStarted; it is raised then.
    tolerance_error: StatesError | None = None


def jsonpath_settings(run: StateRun, state: MapState) -> MapSettings:
    """Resolve InputPath, ItemsPath and the *Path fields."""
    effective = dataflow.select(run, state.input_path, run.raw_input)
    items = dataflow.select(run, state.items_path, effective) if state.items_path != "$" else effective
    if not isinstance(items, list):
        raise query_error(f"Map state input must be an array but was: {to_json(items)}")
    concurrency = state.max_concurrency
    if state.max_concurrency_path is not None:
        concurrency = _integer(run, state.max_concurrency_path, effective, "MaxConcurrencyPath")
    count, percentage = state.tolerated_failure_count, state.tolerated_failure_percentage
    try:
        if state.tolerated_failure_count_path is not None:
            count = _integer(run, state.tolerated_failure_count_path, effective, "ToleratedFailureCountPath")
        if state.tolerated_failure_percentage_path is not None:
            percentage = _number(
                run, state.tolerated_failure_percentage_path, effective, "ToleratedFailurePercentagePath"
            )
    except StatesError as err:
        return MapSettings(list(items), int(concurrency or 0), None, None, effective, tolerance_error=err)
    return _settings(items, concurrency, count, percentage, effective)


def jsonata_settings(run: StateRun, state: MapState) -> MapSettings:
    """Evaluate Items, MaxConcurrency and the tolerances as JSONata (or literals)."""
    binding = dataflow.states_binding(run, run.raw_input)
    if state.items is MISSING:
        items = run.raw_input
        if not isinstance(items, list):
            raise query_error(f"Map state input must be an array but was: {to_json(items)}")
    else:
        items = dataflow.jsonata(run, state.items, binding, "Items")
        if not isinstance(items, list):
            expression = expression_of(state.items) if is_jsonata(state.items) else to_json(state.items)
            raise unexpected_type(expression, "Items", "array", items)
    values = [
        dataflow.jsonata(run, getattr(state, name), binding, field)
        if is_jsonata(getattr(state, name))
        else getattr(state, name)
        for name, field in (
            ("max_concurrency", "MaxConcurrency"),
            ("tolerated_failure_count", "ToleratedFailureCount"),
            ("tolerated_failure_percentage", "ToleratedFailurePercentage"),
        )
    ]
    return _settings(items, values[0], values[1], values[2], run.raw_input)


def _settings(
    items: list[Any], concurrency: Any, count: Any, percentage: Any, scope_value: Any
) -> MapSettings:
    error = None
    if isinstance(count, int | float) and not isinstance(count, bool) and count < 0:
        error = runtime("ToleratedFailureCount cannot be negative.")
    if (
        isinstance(percentage, int | float)
        and not isinstance(percentage, bool)
        and not 0 <= percentage <= 100
    ):
        error = runtime("ToleratedFailurePercentage must be between 0 and 100.")
    return MapSettings(
        items=list(items),
        max_concurrency=int(concurrency or 0),
        tolerated_count=None if count is MISSING or count is None else float(count),
        tolerated_percentage=None if percentage is MISSING or percentage is None else float(percentage),
        scope_value=scope_value,
        tolerance_error=error,
    )


def _integer(run: StateRun, path: str, value: Any, field: str) -> int:
    found = dataflow.reference(run, path, value, field)
    if isinstance(found, int) and not isinstance(found, bool):
        return found
    if isinstance(found, str):
        try:
            return int(found)
        except ValueError:
            pass
    shown = found if isinstance(found, str) else to_json(found)
    raise runtime(f'The {field} field refers to value "{shown}" which is not a valid integer: {path}')


def _number(run: StateRun, path: str, value: Any, field: str) -> float:
    found = dataflow.reference(run, path, value, field)
    if isinstance(found, str):
        with contextlib.suppress(ValueError):
            found = int(found)
    if isinstance(found, int | float) and not isinstance(found, bool):
        return float(found)
    shown = found if isinstance(found, str) else to_json(found)
    raise runtime(f'The {field} field refers to value "{shown}" which is not a valid float: {path}')


def select_item(run: StateRun, state: MapState, index: int, item: Any, scope_value: Any) -> Any:
    """ItemSelector (or legacy Parameters) for one item; the item itself when absent."""
    if state.item_selector is MISSING:
        return item
    context = run.context(map_item=(index, item))
    if state.jsonata:
        binding = dataflow.states_binding(run, scope_value, context=context)
        return dataflow.jsonata(run, state.item_selector, binding, "ItemSelector")
    return dataflow.payload(run, state.item_selector, scope_value, state.item_selector_field, context=context)


def batches(run: StateRun, state: MapState, items: list[Any], scope_value: Any) -> list[Any]:
    """ItemBatcher: items grouped as ``{"Items": [...], "BatchInput": ...}``."""
    batcher: Mapping[str, Any] = state.item_batcher or {}
    if state.jsonata:
        binding = dataflow.states_binding(run, run.raw_input)
        batcher = dataflow.jsonata(run, batcher, binding, "ItemBatcher")
    size = batcher.get("MaxItemsPerBatch")
    if "MaxItemsPerBatchPath" in batcher:
        size = _integer(run, batcher["MaxItemsPerBatchPath"], scope_value, "MaxItemsPerBatchPath")
    max_bytes = batcher.get("MaxInputBytesPerBatch")
    batch_input = batcher.get("BatchInput", MISSING)
    if batch_input is not MISSING and not state.jsonata:
        batch_input = dataflow.payload(run, batch_input, scope_value, "BatchInput")
    groups: list[list[Any]] = []
    for item in items:
        current = groups[-1] if groups else None
        if (
            current is None
            or (size and len(current) >= size)
            or (max_bytes and len(to_json([*current, item])) > max_bytes)
        ):
            groups.append([item])
        else:
            current.append(item)
    result = []
    for group in groups:
        batch: dict[str, Any] = {"Items": group}
        if batch_input is not MISSING:
            batch["BatchInput"] = batch_input
        result.append(batch)
    return result
