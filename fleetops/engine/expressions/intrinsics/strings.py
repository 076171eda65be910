"""Intrinsics for strings and JSON: States.Format, StringSplit, StringToJson, JsonToString and
JsonMerge (AWS Step Functions, "Intrinsics for JSON data manipulation", "Intrinsic for String
operation", "Intrinsics for generic operation")."""

from __future__ import annotations

import json
from typing import Any

from fleetops.engine.expressions.intrinsics.values import failure, string
from fleetops.engine.expressions.jsontext import compact_json

PLACEHOLDER = "{}"


def states_format(template: Any, values: tuple[Any, ...], placeholders: tuple[int, ...] | None) -> str:
    """AWS: "The interpreter returns the first-argument string with each {} replaced by the value of
    the positionally-corresponding argument." "There must be as many remaining arguments in the
    Invocation as there are occurrences of {}."

    `placeholders` are the offsets of unescaped `{}` in a literal template; None when the
    template came from a path (every `{}` is then a placeholder).
    """
    text = string("Format", template)
    if placeholders is None:
        placeholders = _all_placeholders(text)
    if len(placeholders) != len(values):
        raise failure(
            "Format",
            f"the template has {len(placeholders)} placeholder(s) but {len(values)} value(s) were given",
        )
    pieces: list[str] = []
    last = 0
    for offset, value in zip(placeholders, values, strict=True):
        pieces.append(text[last:offset])
        pieces.append(format_value(value))
        last = offset + len(PLACEHOLDER)
    pieces.append(text[last:])
    return "".join(pieces)


def _all_placeholders(text: str) -> tuple[int, ...]:
    offsets: list[int] = []
    start = text.find(PLACEHOLDER)
    while start != -1:
        offsets.append(start)
        start = text.find(PLACEHOLDER, start + len(PLACEHOLDER))
    return tuple(offsets)


def format_value(value: Any) -> str:
    """A value as States.Format prints it: strings bare, objects as `{a=1, b=[]}` (AWS prints
    Java's map and list forms), other values as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={format_value(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


def string_split(value: Any, delimiters: Any) -> list[str]:
    """AWS: "Splits a string into an array of values." Every character of the second argument is a
    delimiter; empty pieces are dropped."""
    text = string("StringSplit", value)
    chars = string("StringSplit", delimiters, "second argument")
    pieces = [text]
    for char in chars:
        pieces = [part for piece in pieces for part in piece.split(char)]
    return [piece for piece in pieces if piece]


def string_to_json(value: Any) -> Any:
    """AWS: "Takes a single argument, a reference path to an escaped JSON string. The interpreter
    applies a JSON parser and returns its parsed JSON form." An empty string gives null."""
    text = string("StringToJson", value)
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise failure("StringToJson", f"the argument is not JSON text: {err}") from err


def json_to_string(value: Any) -> str:
    """AWS: "The interpreter returns a string which is a JSON text representing the data identified
    by the Path." The text is compact (no spaces)."""
    return compact_json(value)


def json_merge(first: Any, second: Any, deep: Any) -> dict[str, Any]:
    """AWS: "Merges two JSON objects into a single object." Shallow mode (the boolean false) is the
    one AWS supports: keys of the second object replace the same keys of the first."""
    if not isinstance(first, dict) or not isinstance(second, dict):
        raise failure("JsonMerge", "the first two arguments must be JSON objects")
    if deep is not False:
        raise failure(
            "JsonMerge", f"the third argument must be false (shallow merge), got {compact_json(deep)}"
        )
    return {**first, **second}
