"""Checks and conversions for individual fields (paths, numbers, timestamps, Retry, Catch)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from fleetops.engine.definition.common import MISSING, Catcher, Missing, QueryLanguage, Retrier
from fleetops.engine.definition.problems import Problems
from fleetops.engine.definition.states import AnyState, ChoiceState
from fleetops.engine.errors import StatesErrorName

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def is_jsonata(value: Any) -> bool:
    """True for a string that is exactly one ``{% ... %}`` expression."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def parse_timestamp(value: str) -> datetime | None:
    """``value`` as an aware datetime if it is an RFC 3339 date-time (``Z`` or an offset)."""
    match = _RFC3339.match(value)
    if match is None:
        return None
    text = value.replace("Z", "+00:00")
    fraction = match.group(7)
    if fraction and len(fraction) > 7:
        # Python parses at most microseconds; AWS accepts nanoseconds.
        text = text.replace(fraction, fraction[:7])
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def query_language(value: Any, pointer: str, problems: Problems) -> QueryLanguage | None:
    """A ``QueryLanguage`` value."""
    try:
        return QueryLanguage(value)
    except ValueError:
        problems.add(pointer, f"The value {value!r} is not one of [JSONPath, JSONata]")
        return None


def positive_int(value: Any, pointer: str, problems: Problems, *, minimum: int = 0) -> int | None:
    """An integer field that must be at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.add(pointer, f"The value must be an integer greater than or equal to {minimum}")
        return None
    return value


def payload_template(value: Any, pointer: str, problems: Problems) -> None:
    """Every ``key.$`` in a Parameters-like template holds a path or an intrinsic call."""
    from fleetops.engine.expressions import validate_payload_template

    for problem in validate_payload_template(value, pointer):
        message, _, location = problem.rpartition(" at ")
        problems.add(location or pointer, message or problem)


def path(
    value: Any, pointer: str, problems: Problems, *, nullable: bool = True, intrinsic: bool = False
) -> str | None:
    """A Path field (InputPath, ResultPath, ItemsPath...): ``$...``, ``$$...`` or ``$var...``;
    with ``intrinsic`` (ErrorPath, CausePath) also a ``States.*`` call."""
    from fleetops.engine.expressions import is_intrinsic, parse_intrinsic, parse_path

    if value is None and nullable:
        return None
    name = pointer.rsplit("/", 1)[-1]
    if not isinstance(value, str):
        problems.add(pointer, f"The value for the field '{name}' must be a valid JSONPath")
        return None
    try:
        if intrinsic and is_intrinsic(value):
            parse_intrinsic(value)
        else:
            parse_path(value)
    except ValueError:
        problems.add(pointer, f"The value for the field '{name}' must be a valid JSONPath")
        return None
    return value


def retriers(value: Any, pointer: str, problems: Problems) -> tuple[Retrier, ...]:
    """The ``Retry`` array."""
    if not isinstance(value, list):
        problems.add(pointer, "The field 'Retry' must be an array")
        return ()
    result = []
    for index, node in enumerate(value):
        at = f"{pointer}[{index}]"
        if not isinstance(node, Mapping):
            problems.add(at, "A Retrier must be an object")
            continue
        errors = error_equals(node, at, problems, last=index == len(value) - 1)
        known = {
            "ErrorEquals",
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
            "JitterStrategy",
            "Comment",
        }
        for name in node:
            if name not in known:
                problems.add(at, f"Field '{name}' is not supported")
        interval = positive_int(node.get("IntervalSeconds", 1), f"{at}/IntervalSeconds", problems, minimum=1)
        attempts = positive_int(node.get("MaxAttempts", 3), f"{at}/MaxAttempts", problems)
        backoff = node.get("BackoffRate", 2.0)
        if isinstance(backoff, bool) or not isinstance(backoff, int | float) or backoff < 1.0:
            problems.add(f"{at}/BackoffRate", "The value must be a number greater than or equal to 1.0")
            backoff = 2.0
        max_delay = node.get("MaxDelaySeconds")
        if max_delay is not None:
            max_delay = positive_int(max_delay, f"{at}/MaxDelaySeconds", problems, minimum=1)
        jitter = node.get("JitterStrategy", "NONE")
        if jitter not in ("NONE", "FULL"):
            problems.add(f"{at}/JitterStrategy", f"The value {jitter!r} is not one of [FULL, NONE]")
            jitter = "NONE"
        result.append(
            Retrier(
                error_equals=errors,
                interval_seconds=float(interval or 1),
                max_attempts=attempts if attempts is not None else 3,
                backoff_rate=float(backoff),
                max_delay_seconds=float(max_delay) if max_delay else None,
                jitter_strategy=jitter,
            )
        )
    return tuple(result)


def catchers(value: Any, pointer: str, problems: Problems, language: QueryLanguage) -> tuple[Catcher, ...]:
    """The ``Catch`` array."""
    if not isinstance(value, list):
        problems.add(pointer, "The field 'Catch' must be an array")
        return ()
    result = []
    for index, node in enumerate(value):
        at = f"{pointer}[{index}]"
        if not isinstance(node, Mapping):
            problems.add(at, "A Catcher must be an object")
            continue
        errors = error_equals(node, at, problems, last=index == len(value) - 1)
        if not isinstance(node.get("Next"), str):
            problems.add(at, "These fields are required: [Next]")
        jsonpath_fields = {"ResultPath"} if language is QueryLanguage.JSONPATH else {"Output"}
        for name in node:
            if name not in {"ErrorEquals", "Next", "Comment", "Assign"} | jsonpath_fields:
                problems.add(at, f"Field '{name}' is not supported")
        result_path = path(node.get("ResultPath", "$"), f"{at}/ResultPath", problems)
        assign = node.get("Assign", MISSING)
        result.append(
            Catcher(
                error_equals=errors,
                next=str(node.get("Next")),
                result_path=result_path,
                output=node.get("Output", MISSING),
                assign=assign if isinstance(assign, Mapping) else MISSING,
            )
        )
    return tuple(result)


def error_equals(node: Mapping[str, Any], pointer: str, problems: Problems, *, last: bool) -> tuple[str, ...]:
    """``ErrorEquals``: a non-empty array of strings; States.ALL alone and in the last entry."""
    value = node.get("ErrorEquals")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.add(
            pointer,
            "These fields are required: [ErrorEquals]"
            if value is None
            else "ErrorEquals must be a non-empty array of strings",
        )
        return ()
    if StatesErrorName.ALL in value and (len(value) > 1 or not last):
        problems.add(
            f"{pointer}/ErrorEquals",
            "States.ALL must appear alone in ErrorEquals and only in the last Retrier or Catcher",
        )
    return tuple(value)


def transitions(state: AnyState) -> Iterator[tuple[str, str]]:
    """(field pointer, target state) for every transition out of ``state``."""
    if state.next is not None:
        yield "/Next", state.next
    if isinstance(state, ChoiceState):
        for index, branch in enumerate(state.choices):
            yield f"/Choices[{index}]/Next", branch.next
        if state.default is not None:
            yield "/Default", state.default
    for index, catcher in enumerate(getattr(state, "catch", ())):
        yield f"/Catch[{index}]/Next", catcher.next


def optional_mapping(value: Any, pointer: str, problems: Problems, name: str) -> Mapping[str, Any] | Missing:
    """An object-valued field such as ``Assign``."""
    if isinstance(value, Mapping):
        mapping: dict[str, Any] = dict(value)
        return mapping
    if not isinstance(value, Missing):
        problems.add(pointer, f"The field '{name}' must be an object")
    return MISSING
