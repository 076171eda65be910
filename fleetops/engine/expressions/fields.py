"""Resolving a state's single-path fields, failing with the cause AWS gives for each kind.

AWS words a missing path two ways:

- InputPath, OutputPath, ItemsPath (Jayway's own message):
  "Invalid path '$.x' : No results for path: $['x']"
- ErrorPath, CausePath and other fields that name a value (and payload templates):
  "The JSONPath '$.x' specified for the field 'ErrorPath' could not be found in the input '{...}'"
"""

from __future__ import annotations

from typing import Any

from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.expressions.intrinsics import evaluate_intrinsic, is_intrinsic
from fleetops.engine.expressions.jsonpath import PathNotFound, resolve_path
from fleetops.engine.expressions.jsontext import compact_json
from fleetops.engine.expressions.scope import Scope


def resolve_io_path(path: str | None, scope: Scope) -> Any:
    """InputPath / OutputPath: "If the value is null, the input is discarded and {} is used"
    (Amazon States Language specification, InputPath and OutputPath)."""
    if path is None:
        return {}
    try:
        return resolve_path(path, scope)
    except PathNotFound as missing:
        raise StatesError(
            StatesErrorName.RUNTIME, f"Invalid path '{path}' : No results for path: {missing.normalized}"
        ) from None


def resolve_field_path(path: str, scope: Scope, field: str) -> Any:
    """A path in a field that names a value (ErrorPath, CausePath, a `.$` key).

    "ErrorPath / CausePath: a reference path or an intrinsic function" (Fail state), so a
    `States.*` call is evaluated too.
    """
    try:
        if is_intrinsic(path):
            return evaluate_intrinsic(path, scope)
        return resolve_path(path, scope)
    except PathNotFound as missing:
        raise missing_field_path(missing.path, field, scope.input) from None


def missing_field_path(path: str, field: str, input_value: Any) -> StatesError:
    """AWS's States.Runtime for a path in a named field that matched nothing."""
    return StatesError(
        StatesErrorName.RUNTIME,
        f"The JSONPath '{path}' specified for the field '{field}' could not be found in the input "
        f"'{compact_json(input_value)}'",
    )
