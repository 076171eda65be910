"""Evaluating a parsed intrinsic call against a scope.

"Intrinsic Functions ... are evaluated, and the result of the evaluation is the value of
the field." Arguments are evaluated first, innermost call first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleetops.engine.expressions.intrinsics import arrays, generic, hashing, math_ops, strings
from fleetops.engine.expressions.intrinsics.parser import Call, Literal, Node, PathArg, parse_intrinsic
from fleetops.engine.expressions.jsonpath import resolve_path
from fleetops.engine.expressions.scope import Scope

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "StringToJson": strings.string_to_json,
    "JsonToString": strings.json_to_string,
    "Array": arrays.states_array,
    "ArrayPartition": arrays.array_partition,
    "ArrayContains": arrays.array_contains,
    "ArrayRange": arrays.array_range,
    "ArrayGetItem": arrays.array_get_item,
    "ArrayLength": arrays.array_length,
    "ArrayUnique": arrays.array_unique,
    "Base64Encode": hashing.base64_encode,
    "Base64Decode": hashing.base64_decode,
    "Hash": hashing.states_hash,
    "JsonMerge": strings.json_merge,
    "MathRandom": math_ops.math_random,
    "MathAdd": math_ops.math_add,
    "StringSplit": strings.string_split,
    "UUID": generic.states_uuid,
}


def evaluate_intrinsic(expression: str, scope: Scope) -> Any:
    """Parse and evaluate `States.<Name>(...)`.

    Raises ValueError when the text is not a valid call, PathNotFound when a Path argument
    matches nothing, and StatesError(States.IntrinsicFailure) when arguments are unusable.
    """
    return evaluate_call(parse_intrinsic(expression), scope)


def evaluate_call(call: Call, scope: Scope) -> Any:
    """Evaluate a parsed call: its arguments first, then the function."""
    if call.name == "Format":
        template, *rest = call.args
        placeholders = template.placeholders if isinstance(template, Literal) else None
        values = tuple(_argument(node, scope) for node in rest)
        return strings.states_format(_argument(template, scope), values, placeholders)
    return FUNCTIONS[call.name](*(_argument(node, scope) for node in call.args))


def _argument(node: Node, scope: Scope) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, PathArg):
        return resolve_path(node.path, scope)
    return evaluate_call(node, scope)
