"""CloudWatch Logs space-delimited filter patterns, and regular-expression patterns.

A space-delimited pattern names the fields of a log event split at spaces (text in ``"..."`` or
``[...]`` is one field, without its quotes or brackets), with AWS's semantics:

- ``[ip, user, timestamp, request, status, size]`` matches events of exactly six fields;
  ``...`` stands for any number of fields: ``[..., status, size]``;
- a field may carry conditions on its value: ``status = 404``, ``status != 200``,
  ``size > 1000`` (numeric comparisons match numbers only), ``status = 5*`` (``*`` is a
  wildcard), ``request = %\\.html$%`` (a regular expression between ``%``), joined with ``&&``
  and ``||``: ``[..., status = 4* || status = 5*, size]``;
- ``[ERROR]`` is a pattern of one field named ERROR: it matches events of one field.

A pattern ``%regex%`` alone matches events whose text the regular expression finds.
The text of a record is its JSON line (``logfilter.record_text``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleetops.errors import BadInput

Matcher = Callable[[Mapping[str, Any]], bool]
Text = Callable[[Mapping[str, Any]], str]

_FIELD = re.compile(r'"([^"]*)"|\[([^\]]*)\]|(\S+)')
_CONDITION = re.compile(
    r"""\s*(?P<name>[A-Za-z_][\w-]*)\s*(?P<op>!=|>=|<=|=|>|<)\s*
        (?P<value>"(?:[^"\\]|\\.)*"|%(?:[^%\\]|\\.)*%|[^\s&|,]+)\s*""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
ELLIPSIS = "..."


@dataclass(frozen=True)
class _Condition:
    name: str
    op: str
    value: str

    def holds(self, fields: Mapping[str, str]) -> bool:
        if self.name not in fields:
            return False
        actual = fields[self.name]
        if self.op in _COMPARE:
            return _NUMBER.fullmatch(actual) is not None and _COMPARE[self.op](
                float(actual), float(self.value)
            )
        if self.value.startswith("%") and len(self.value) > 1 and self.value.endswith("%"):
            same = re.search(self.value[1:-1], actual) is not None
        elif _NUMBER.fullmatch(self.value) and _NUMBER.fullmatch(actual):
            same = float(actual) == float(self.value)
        else:
            glob = self.value[1:-1] if self.value.startswith('"') else self.value
            same = re.fullmatch(".*".join(map(re.escape, glob.split("*"))), actual) is not None
        return same if self.op == "=" else not same


@dataclass(frozen=True)
class _Spec:
    """One position of the pattern: a field name with conditions (any of the groups holding:
    ``||`` between groups, ``&&`` within one), or ``...``."""

    name: str
    groups: tuple[tuple[_Condition, ...], ...]


def split_fields(text: str) -> list[str]:
    """The space-delimited fields of ``text``; quoted and bracketed text is one field."""
    return [next(group for group in match.groups() if group is not None) for match in _FIELD.finditer(text)]


def _parse_spec(part: str, pattern: str) -> _Spec:
    text = part.strip()
    if not text:
        raise BadInput(f"filter pattern {pattern!r}: an empty field between commas")
    if text == ELLIPSIS:
        return _Spec(ELLIPSIS, ())
    if re.fullmatch(r"[A-Za-z_][\w-]*", text):
        return _Spec(text, ())
    groups: list[tuple[_Condition, ...]] = []
    for alternative in re.split(r"\|\|", text):
        conditions = []
        for clause in re.split(r"&&", alternative):
            match = _CONDITION.fullmatch(clause)
            if match is None:
                raise BadInput(
                    f"filter pattern {pattern!r}: {clause.strip()!r} is not a field name or a condition "
                    "like status = 404, size > 1000, request = %\\.html$%"
                )
            op, value = match["op"], match["value"]
            if op in _COMPARE and _NUMBER.fullmatch(value) is None:
                raise BadInput(f"filter pattern {pattern!r}: {op} compares numbers, got {value!r}")
            conditions.append(_Condition(match["name"], op, value))
        groups.append(tuple(conditions))
    names = {condition.name for group in groups for condition in group}
    return _Spec(groups[0][0].name if len(names) == 1 else "", tuple(groups))


def _split_specs(body: str) -> list[str]:
    """Commas outside quotes and %regex% separate the positions."""
    parts: list[str] = []
    current = ""
    quote = ""
    for char in body:
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char in '"%':
            quote = char
            current += char
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _align(specs: Sequence[_Spec], fields: Sequence[str]) -> dict[str, str] | None:
    """The fields named by ``specs`` if they line up with ``fields`` (``...`` taking any number)."""
    if not specs:
        return {} if not fields else None
    first, rest = specs[0], specs[1:]
    if first.name == ELLIPSIS:
        for skipped in range(len(fields) + 1):
            named = _align(rest, fields[skipped:])
            if named is not None:
                return named
        return None
    if not fields:
        return None
    named = _align(rest, fields[1:])
    if named is None:
        return None
    if first.name:
        named = {first.name: fields[0], **named}
    else:
        # Conditions on several names: each name is bound to this position's field.
        for group in first.groups:
            for condition in group:
                named.setdefault(condition.name, fields[0])
    return named


def space_delimited(pattern: str, text_of: Text) -> Matcher:
    """A predicate for space-delimited ``pattern`` (``[...]``); BadInput saying what is wrong."""
    body = pattern.strip()
    if not body.endswith("]"):
        raise BadInput(f"filter pattern {pattern!r}: a space-delimited pattern must end with ']'")
    specs = [_parse_spec(part, pattern) for part in _split_specs(body[1:-1])]

    def matches(record: Mapping[str, Any]) -> bool:
        named = _align(specs, split_fields(text_of(record)))
        if named is None:
            return False
        return all(
            any(all(c.holds(named) for c in group) for group in spec.groups) for spec in specs if spec.groups
        )

    return matches


def regular_expression(pattern: str, text_of: Text) -> Matcher:
    """A predicate for ``%regex%``: the expression is found in the record's text."""
    body = pattern.strip()
    if len(body) < 2 or not body.endswith("%"):
        raise BadInput(f"filter pattern {pattern!r}: a regular expression pattern must end with '%'")
    try:
        compiled = re.compile(body[1:-1])
    except re.error as err:
        raise BadInput(f"filter pattern {pattern!r}: a bad regular expression: {err}") from err
    return lambda record: compiled.search(text_of(record)) is not None
