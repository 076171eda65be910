"""Definition-time checks of JSONata expressions, as AWS makes them when a machine is created.

AWS: "Invalid State Machine Definition: 'INVALID_JSONATA_EXPRESSION: Unexpected end of
expression at /States/Main/Output'" and "UNSUPPORTED_JSONATA_EXPRESSION: Reference to
'phone' at the top level is not supported. at /States/E/Output/v" — an expression is
evaluated with no context item, so a path must start from `$states` or a variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonata.jexception import JException
from jsonata.parser import Parser

from fleetops.engine.expressions.jsonata_query import compile_jsonata, expression_of, is_jsonata

# Attributes of a jsonata-python AST node that are evaluated in the same context as the node.
_SAME_CONTEXT = ("lhs", "rhs", "expressions", "arguments", "condition", "then", "_else", "procedure")


@dataclass(frozen=True)
class JsonataProblem:
    """One diagnostic: AWS's code, message and JSON pointer."""

    code: str
    message: str
    location: str


def check_jsonata(expression: str, location: str) -> list[JsonataProblem]:
    """Problems of one expression (without `{% %}`) at `location`."""
    try:
        compiled = compile_jsonata(expression)
    except ValueError as err:
        cause = err.__cause__
        message = cause.args[0] if isinstance(cause, JException) and cause.args else str(err)
        return [JsonataProblem("INVALID_JSONATA_EXPRESSION", str(message), location)]
    names: list[str] = []
    _top_level_names(compiled.ast, names)
    return [
        JsonataProblem(
            "UNSUPPORTED_JSONATA_EXPRESSION",
            f"Reference to '{name}' at the top level is not supported.",
            location,
        )
        for name in dict.fromkeys(names)
    ]


def check_jsonata_template(value: Any, location: str) -> list[JsonataProblem]:
    """Problems of every `{% %}` string in a JSON value (Output, Arguments, Assign...)."""
    if is_jsonata(value):
        return check_jsonata(expression_of(value), location)
    problems: list[JsonataProblem] = []
    if isinstance(value, dict):
        for key, item in value.items():
            problems.extend(check_jsonata_template(item, f"{location}/{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems.extend(check_jsonata_template(item, f"{location}/{index}"))
    return problems


def _top_level_names(node: Any, names: list[str]) -> None:
    """Names read from the (absent) context item: the first step of a top-level path."""
    if isinstance(node, list):
        for item in node:
            _top_level_names(item, names)
        return
    if not isinstance(node, Parser.Symbol):
        return
    if node.type == "name":
        names.append(str(node.value))
        return
    if node.type == "path":
        if node.steps:
            _top_level_names(node.steps[0], names)
        return
    if node.type == "lambda":
        return  # the body runs in whatever context the function is applied to
    if node.type == "unary" and node.value == "{":
        for pair in node.lhs_object or []:
            _top_level_names(list(pair), names)
    for attribute in _SAME_CONTEXT:
        _top_level_names(getattr(node, attribute, None), names)
