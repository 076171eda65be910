"""The Choice comparison operators and what each accepts.

"StringEquals, StringEqualsPath, StringLessThan, ... NumericEquals, ... BooleanEquals,
BooleanEqualsPath, TimestampEquals, ... IsNull, IsPresent, IsNumeric, IsString, IsBoolean,
IsTimestamp, StringMatches." "For each of these operators, the corresponding value must be
of the appropriate type: string, number, boolean, or timestamp." "The value of a Path
operator must be a Path." (Amazon States Language specification, Choice Rules)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fleetops.engine.expressions.choice.timestamps import parse_timestamp

ORDERINGS = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
FAMILIES = ("String", "Numeric", "Boolean", "Timestamp")
TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")


def _comparisons() -> dict[str, tuple[str, str]]:
    """operator name -> (family, ordering); BooleanEquals is Boolean's only ordering."""
    table: dict[str, tuple[str, str]] = {}
    for family in FAMILIES:
        for ordering in ORDERINGS if family != "Boolean" else ("Equals",):
            table[family + ordering] = (family, ordering)
    table["StringMatches"] = ("String", "Matches")
    return table


COMPARISONS = _comparisons()
PATH_OPERATORS = {name + "Path": value for name, value in COMPARISONS.items() if name != "StringMatches"}


def is_number(value: Any) -> bool:
    """JSON numbers; booleans are not numbers."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _java_string_key(text: str) -> bytes:
    # AWS compares strings as Java does: by UTF-16 code units, not by code points.
    return text.encode("utf-16-be", "surrogatepass")


def family_key(family: str, value: Any) -> Any | None:
    """The comparable form of `value` for `family`, or None when it is not of that type."""
    if family == "String":
        return _java_string_key(value) if isinstance(value, str) else None
    if family == "Numeric":
        return value if is_number(value) else None
    if family == "Boolean":
        return value if isinstance(value, bool) else None
    return parse_timestamp(value) if isinstance(value, str) else None


ORDERING_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda left, right: bool(left == right),
    "LessThan": lambda left, right: bool(left < right),
    "GreaterThan": lambda left, right: bool(left > right),
    "LessThanEquals": lambda left, right: bool(left <= right),
    "GreaterThanEquals": lambda left, right: bool(left >= right),
}


def type_test(operator: str, present: bool, value: Any) -> bool:
    """Whether a present value passes IsNull, IsNumeric, IsString, IsBoolean or IsTimestamp."""
    if operator == "IsPresent":
        return present
    if operator == "IsNull":
        return value is None
    if operator == "IsNumeric":
        return is_number(value)
    if operator == "IsString":
        return isinstance(value, str)
    if operator == "IsBoolean":
        return isinstance(value, bool)
    return isinstance(value, str) and parse_timestamp(value) is not None


def wildcard_pattern(pattern: str) -> re.Pattern[str]:
    """StringMatches: "The value MUST be a String which MAY contain one or more '*' characters.
    The expression yields true if the data value selected by the Variable Path matches the
    value, where '*' in the value matches zero or more characters. ... the '*' character can be
    escaped using the standard backslash escape, and '\\\\' a backslash."."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and pattern[index + 1 : index + 2] in ("*", "\\"):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)
