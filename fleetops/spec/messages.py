"""Pydantic errors rewritten as fleet file messages that say what was expected and what was found."""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel

from fleetops.spec.fleet import Fleet
from fleetops.spec.models import (
    ENV_VAR_PATTERN,
    LAUNCH_TEMPLATE_PATTERN,
    REGION_PATTERN,
    TARGET_GROUP_PATTERN,
)
from fleetops.spec.resources import NAME_PATTERN, VERSION_PATTERN

_TYPES = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "none_required": "nothing (null)",
}
_BOUNDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}
_PATTERNS = {
    NAME_PATTERN: "a name of lowercase letters, digits and '-', starting with a letter (at most 63)",
    VERSION_PATTERN: "a version of letters, digits, '.', '_', '+' and '-', starting with a letter or digit",
    ENV_VAR_PATTERN: "an environment variable name (letters, digits, '_'; not starting with a digit)",
    REGION_PATTERN: "an AWS region like eu-west-1",
    LAUNCH_TEMPLATE_PATTERN: "a launch template id like lt-0123456789abcdef0",
    TARGET_GROUP_PATTERN: "a target group ARN (arn:aws:elasticloadbalancing:...)",
    # Written inline in the models, where each is used once.
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$": (
        "a name of letters, digits, '_', '.' and '-', starting with a letter or digit"
    ),
    r"^/": "a path starting with '/'",
    r"^\d{12}$": "a 12-digit AWS account id",
    r"^https?://": "an http:// or https:// URL",
    r"^[^@\s]+@[^@\s]+$": "an email address like ops@example.com",
}


def got(value: Any) -> str:
    """How a found value is shown: its YAML-ish repr, shortened."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(error: Any) -> str:
    """A one-line message for one pydantic error dict."""
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return f"missing required field '{error['loc'][-1]}'"
    if kind == "extra_forbidden":
        allowed = allowed_fields(error["loc"][:-1])
        listed = f" (expected one of {', '.join(allowed)})" if allowed else ""
        return f"unknown field '{error['loc'][-1]}'{listed}"
    if kind in _TYPES:
        return f"expected {_TYPES[kind]}, got {got(value)}"
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()), "?")
        return f"expected a number {_BOUNDS[kind]} {bound}, got {got(value)}"
    if kind in ("enum", "literal_error"):
        return f"expected {ctx.get('expected', 'one of the allowed values')}, got {got(value)}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"expected {_PATTERNS.get(pattern, 'text matching ' + pattern)}, got {got(value)}"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "union_tag_invalid":
        tag = ctx.get("discriminator", "tag")
        return f"expected {tag} to be one of {ctx.get('expected_tags')}, got {got(ctx.get('tag'))}"
    if kind == "union_tag_not_found":
        return f"missing required field {ctx.get('discriminator', 'tag')}"
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
    message = str(error["msg"])
    return f"{message[:1].lower()}{message[1:]}, got {got(value)}"


def allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    """The fields the model at pydantic location ``loc`` (under :class:`Fleet`) accepts."""
    current: Any = Fleet
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    model = _model_of(current, None)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _strip(tp: Any) -> Any:
    # Annotated[X, ...] -> X; Optional[X] -> X.
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if _is_union(tp):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _strip(members[0])
    return tp


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, types.UnionType)


def _model_of(tp: Any, tag: Any) -> type[BaseModel] | None:
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if _is_union(tp) and tag is not None:
        for member in typing.get_args(tp):
            model = _model_of(member, None)
            if model is not None and any(
                tag in typing.get_args(f.annotation) for f in model.model_fields.values()
            ):
                return model
    return None


def _step(current: Any, part: Any) -> Any:
    tp = _strip(current)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin = typing.get_origin(tp)
    if origin is dict:
        return typing.get_args(tp)[1]
    if origin is list:
        return typing.get_args(tp)[0]
    if _is_union(tp):
        return _model_of(tp, part)
    return None
