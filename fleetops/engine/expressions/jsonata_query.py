"""JSONata in Step Functions: `{% expression %}` strings evaluated with `$states` and variables.

"Step Functions evaluates the JSONata expression between {% and %}." "The reserved variable
$states holds input, context, result and errorOutput." "If a JSONata expression evaluates
to undefined ... Step Functions fails the state with States.QueryEvaluationError."
(AWS Step Functions, Transforming data with JSONata)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jsonata
from jsonata.jexception import JException
from jsonata.utils import Utils

from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.expressions.jsonata_functions import AWS_FUNCTIONS, JsonataFunctionError
from fleetops.engine.expressions.jsontext import compact_json
from fleetops.engine.expressions.scope import Scope

OPEN, CLOSE = "{%", "%}"


class _Unsupported:
    """Marks a result JSON cannot hold (a function)."""


def is_jsonata(value: Any) -> bool:
    """True for a string that is a JSONata expression: `{% ... %}`."""
    return isinstance(value, str) and value.startswith(OPEN) and value.endswith(CLOSE)


def expression_of(value: str) -> str:
    """The expression inside `{% ... %}`, trimmed."""
    return value[len(OPEN) : -len(CLOSE)].strip()


@lru_cache(maxsize=1024)
def compile_jsonata(expression: str) -> Any:
    """Compile once; raise ValueError(message) for a syntax error."""
    try:
        compiled = jsonata.Jsonata(expression)
    except JException as err:
        raise ValueError(f"invalid JSONata expression {expression!r}: {err.error}: {err}") from err
    compiled.set_output_convert_nulls(False)  # keep null apart from undefined
    for name, function in AWS_FUNCTIONS.items():
        compiled.register_lambda(name, function)
    return compiled


_PLACEHOLDER = re.compile(r"\{\{\w+\}\}")
_TYPE_NAMES = {
    "a": "arrays",
    "b": "booleans",
    "f": "functions",
    "n": "numbers",
    "o": "objects",
    "s": "strings",
}


def jsonata_message(err: JException) -> str:
    """The error's message as jsonata-js (which AWS runs) words it.

    jsonata-python renders `{{token}}` bare and says "Object" where jsonata-js says "function";
    jsonata-js puts JSON.stringify of each inserted value: `Argument 1 of function "abs" ...`.
    """
    template = JException.error_codes.get(err.error)
    if template is None or template == "{{{message}}}":
        return str(err)
    template = re.sub(r"\bObject\b", "function", template)
    values = [err.current, err.expected] + ([err.extra] if err.extra is not None else [])
    if err.error == "T0412":  # jsonata-js names the wanted type in full: "numbers"
        values = [
            _TYPE_NAMES.get(value, value) if index == 2 else value for index, value in enumerate(values)
        ]
    pieces = _PLACEHOLDER.split(template)
    if len(pieces) - 1 > len(values):
        return re.sub(r"\bObject\b", "function", str(err))
    rendered = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=False):
        rendered.append(json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value))
        rendered.append(piece)
    return "".join(rendered)


def _cause(expression: str, field: str | None, what: str) -> str:
    where = f" specified for the field '{field}'" if field else ""
    return f"The JSONata expression '{expression}'{where} {what}"


def query_error(expression: str, field: str | None, what: str) -> StatesError:
    """A States.QueryEvaluationError worded as AWS words it."""
    return StatesError(StatesErrorName.QUERY_EVALUATION_ERROR, _cause(expression, field, what))


def evaluate_jsonata(
    expression: str,
    *,
    states: Mapping[str, Any],
    variables: Mapping[str, Any],
    field: str | None = None,
) -> Any:
    """Evaluate `expression` (without `{% %}`) with `$states` and the variables bound.

    `field` names where the expression sits (`Output/result`, `Assign/x`, `Items`) for the
    cause. Raises StatesError(States.QueryEvaluationError) when the expression fails, returns
    nothing (undefined) or returns a function.
    """
    try:
        compiled = compile_jsonata(expression)
    except ValueError as err:
        raise query_error(expression, field, f"could not be parsed. {err}") from None
    # AWS runs JSONata 2.0.6 without $eval ("function-eval" is its one documented exclusion).
    bindings: dict[str, Any] = {"eval": None}
    # A variable holding null is bound as JSONata's null; a bare None would read as undefined.
    bindings.update({name: Utils.NULL_VALUE if value is None else value for name, value in variables.items()})
    bindings["states"] = {
        name: Utils.NULL_VALUE if value is None else value for name, value in states.items()
    }
    try:
        raw = compiled.evaluate(None, bindings)
    except JException as err:
        what = f"threw an error during evaluation. {err.error}: {jsonata_message(err)}"
        raise query_error(expression, field, what) from None
    except JsonataFunctionError as err:
        raise query_error(expression, field, f"threw an error during evaluation. {err}") from None
    if raw is None:
        raise query_error(expression, field, "returned nothing (undefined).")
    value = _plain(raw)
    if _contains_unsupported(value):
        raise query_error(expression, field, "returned an unsupported result type.")
    return value


def _plain(value: Any) -> Any:
    """jsonata-python values as plain JSON values (lists, dicts, None, int for whole floats)."""
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, list):
        return [_plain(item) for item in value if item is not None]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if item is not None}
    return _Unsupported()


def _contains_unsupported(value: Any) -> bool:
    if isinstance(value, _Unsupported):
        return True
    if isinstance(value, list):
        return any(_contains_unsupported(item) for item in value)
    if isinstance(value, dict):
        return any(_contains_unsupported(item) for item in value.values())
    return False


def evaluate_jsonata_template(
    value: Any,
    *,
    states: Mapping[str, Any],
    variables: Mapping[str, Any],
    field: str | None = None,
) -> Any:
    """Walk a JSON value; every string that is exactly `{% expr %}` is replaced by its value.

    `field` is the template's field (`Output`, `Arguments`, `Assign`); nested fields are
    named in causes as AWS names them: `Output/result`, `Output/list[1]`.
    """
    if is_jsonata(value):
        return evaluate_jsonata(expression_of(value), states=states, variables=variables, field=field)
    if isinstance(value, dict):
        return {
            key: evaluate_jsonata_template(item, states=states, variables=variables, field=_child(field, key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            evaluate_jsonata_template(item, states=states, variables=variables, field=f"{field or ''}[{at}]")
            for at, item in enumerate(value)
        ]
    return value


def _child(field: str | None, key: str) -> str:
    return f"{field}/{key}" if field else key


def jsonata_type(value: Any) -> str:
    """The JSON type name AWS prints in "Expected 'array', but was 'boolean'"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def unexpected_type(expression: str, field: str | None, expected: str, value: Any) -> StatesError:
    """AWS's error for a result of the wrong type, e.g. Map `Items` that is not an array:
    "... returned an unexpected result type. Expected 'array', but was 'boolean' for value: true"."""
    return query_error(
        expression,
        field,
        f"returned an unexpected result type. Expected '{expected}', but was '{jsonata_type(value)}' "
        f"for value: {compact_json(value)}",
    )


def evaluate_condition(condition: Any, scope: Scope, field: str = "Condition") -> bool:
    """A JSONata Choice rule's `Condition`: a boolean, or an expression that must give one.

    `field` is how AWS names it in causes: `Choices[0]/Condition`.
    """
    if isinstance(condition, bool):
        return condition
    expression = expression_of(condition)
    states = {"input": scope.input, "context": scope.context}
    result = evaluate_jsonata(expression, states=states, variables=scope.variables, field=field)
    if not isinstance(result, bool):
        raise unexpected_type(expression, field, "boolean", result)
    return result


def validate_jsonata(expression: str) -> str | None:
    """None when the expression compiles, else the reason it does not."""
    try:
        compile_jsonata(expression)
    except ValueError as err:
        return str(err)
    return None
