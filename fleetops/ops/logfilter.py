"""CloudWatch Logs filter patterns over JSON log records (``fleetops logs --filter``).

The supported subset, with CloudWatch's meaning:

- Terms: ``ERROR timeout`` matches records whose text contains every term (case-sensitive; the
  text of a record is its JSON line). ``"connection refused"`` is one term with its space.
- ``-term`` (or ``-"a phrase"``) excludes records that contain it: ``ERROR -healthcheck``.
- ``?term`` terms are alternatives: ``?ERROR ?WARN`` matches records with either one (with other
  terms too, a record needs all plain terms and at least one ``?`` term).
- JSON conditions in braces: ``{ $.status >= 500 }``, ``{ $.level = "error" }``,
  ``{ $.msg = "start*" }`` (``*`` is a wildcard in ``=``/``!=`` string comparisons),
  ``{ $.latency_ms > 100 && ($.path = "/orders" || $.path = "/menu") }``, selectors with dots
  and indexes (``$.user.roles[0]``), and ``IS NULL``, ``IS TRUE``, ``IS FALSE``, ``EXISTS``,
  ``NOT EXISTS``. A numeric comparison with a non-number field does not match.
- An empty pattern matches everything.

- Space-delimited patterns ``[ip, user, ..., status = 5*, size > 1000]`` and regular
  expressions ``%ERROR|WARN%``: see ``fleetops.ops.spacefilter``.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fleetops.errors import BadInput
from fleetops.ops.spacefilter import regular_expression, space_delimited

Matcher = Callable[[Mapping[str, Any]], bool]
_MISSING = object()
_JSON_TOKEN = re.compile(
    r"""\s*(?:
        (?P<paren>[()])
      | (?P<logic>&&|\|\|)
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<selector>\$(?:\.[A-Za-z_][\w-]*|\[\d+\])+)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<word>[A-Za-z_*/][\w*.:/-]*)
    )""",
    re.VERBOSE,
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def compile_filter(pattern: str) -> Matcher:
    """A predicate on log records for ``pattern``; ``BadInput`` saying what is wrong if invalid."""
    text = pattern.strip()
    if not text:
        return lambda record: True
    if text.startswith("{"):
        if not text.endswith("}"):
            raise BadInput(f"filter pattern {pattern!r}: a JSON condition must end with '}}'")
        return _JsonParser(text[1:-1], pattern).parse()
    if text.startswith("["):
        return space_delimited(text, record_text)
    if text.startswith("%"):
        return regular_expression(text, record_text)
    return _terms(text, pattern)


def in_window(start: datetime | None, end: datetime | None) -> Matcher:
    """Records whose ``timestamp`` is from ``start`` to ``end`` (inclusive; None: open); a
    record without a readable timestamp is outside any window."""

    def matches(record: Mapping[str, Any]) -> bool:
        stamp = record.get("timestamp")
        if not isinstance(stamp, str):
            return False
        try:
            at = datetime.fromisoformat(stamp)
        except ValueError:
            return False
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return (start is None or at >= start) and (end is None or at <= end)

    if start is None and end is None:
        return lambda record: True
    return matches


def record_text(record: Mapping[str, Any]) -> str:
    """The text terms are searched in: the record as one JSON line."""
    return json.dumps(record, ensure_ascii=False, default=str)


def _terms(text: str, pattern: str) -> Matcher:
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    for match in re.finditer(r'([-?]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))', text):
        prefix, quoted, bare = match.groups()
        term = quoted.replace('\\"', '"') if quoted is not None else bare
        if bare is not None and '"' in bare:
            raise BadInput(f"filter pattern {pattern!r}: unbalanced quote in {bare!r}")
        {"": required, "-": excluded, "?": optional}[prefix].append(term)

    def matches(record: Mapping[str, Any]) -> bool:
        line = record_text(record)
        if any(term not in line for term in required) or any(term in line for term in excluded):
            return False
        return not optional or any(term in line for term in optional)

    return matches


class _JsonParser:
    """Recursive descent: or := and ('||' and)*; and := atom ('&&' atom)*; atom := '(' or ')' | test."""

    def __init__(self, text: str, pattern: str) -> None:
        self._pattern = pattern
        self._tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _JSON_TOKEN.match(text, position)
            if match is None or match.end() == position:
                self._fail(f"unexpected {text[position:].strip()[:20]!r}")
            assert match is not None and match.lastgroup is not None
            self._tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        self._index = 0

    def parse(self) -> Matcher:
        if not self._tokens:
            self._fail("empty JSON condition")
        matcher = self._or()
        if self._index < len(self._tokens):
            self._fail(f"unexpected {self._tokens[self._index][1]!r}")
        return matcher

    def _or(self) -> Matcher:
        parts = [self._and()]
        while self._accept("logic", "||"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda record: any(p(record) for p in parts))

    def _and(self) -> Matcher:
        parts = [self._atom()]
        while self._accept("logic", "&&"):
            parts.append(self._atom())
        return parts[0] if len(parts) == 1 else (lambda record: all(p(record) for p in parts))

    def _atom(self) -> Matcher:
        if self._accept("paren", "("):
            inner = self._or()
            if not self._accept("paren", ")"):
                self._fail("missing ')'")
            return inner
        kind, selector = self._next("a selector like $.status")
        if kind != "selector":
            self._fail(f"expected a selector like $.status, got {selector!r}")
        path = _path(selector)
        if self._accept("word", "IS"):
            _, word = self._next("NULL, TRUE or FALSE")
            expected = {"NULL": None, "TRUE": True, "FALSE": False}
            if word not in expected:
                self._fail(f"expected NULL, TRUE or FALSE after IS, got {word!r}")
            wanted = expected[word]
            return lambda record: (value := _select(record, path)) is not _MISSING and value is wanted
        if self._accept("word", "EXISTS"):
            return lambda record: _select(record, path) is not _MISSING
        if self._accept("word", "NOT"):
            if not self._accept("word", "EXISTS"):
                self._fail("expected EXISTS after NOT")
            return lambda record: _select(record, path) is _MISSING
        kind, op = self._next("a comparison operator")
        if kind != "op":
            self._fail(f"expected a comparison operator after {selector}, got {op!r}")
        return _comparison(path, op, self._value(op))

    def _value(self, op: str) -> Any:
        kind, token = self._next("a value")
        if kind == "number":
            return float(token)
        if kind == "string":
            return str(json.loads(token))
        if kind == "word":
            return token
        self._fail(f"expected a value after {op}, got {token!r}")
        return None

    def _accept(self, kind: str, value: str) -> bool:
        if self._index < len(self._tokens) and self._tokens[self._index] == (kind, value):
            self._index += 1
            return True
        return False

    def _next(self, expected: str) -> tuple[str, str]:
        if self._index >= len(self._tokens):
            self._fail(f"expected {expected} at the end")
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _fail(self, message: str) -> None:
        raise BadInput(f"filter pattern {self._pattern!r}: {message}")


def _path(selector: str) -> list[str | int]:
    return [int(index) if index else name for name, index in re.findall(r"\.([\w-]+)|\[(\d+)\]", selector)]


def _select(record: Any, path: list[str | int]) -> Any:
    value = record
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _MISSING
            value = value[step]
        elif isinstance(value, Mapping) and step in value:
            value = value[step]
        else:
            return _MISSING
    return value


def _comparison(path: list[str | int], op: str, wanted: Any) -> Matcher:
    if op in _COMPARE:
        if not isinstance(wanted, float):
            raise BadInput(f"{op} compares numbers: got {wanted!r}")
        compare = _COMPARE[op]

        def numeric(record: Mapping[str, Any]) -> bool:
            value = _select(record, path)
            return _is_number(value) and compare(float(value), wanted)

        return numeric

    # Only `*` is a wildcard (CloudWatch); everything else is literal.
    glob = (
        None if isinstance(wanted, float) else re.compile(".*".join(map(re.escape, str(wanted).split("*"))))
    )

    def equal(record: Mapping[str, Any]) -> bool:
        value = _select(record, path)
        if value is _MISSING:
            return False
        if isinstance(wanted, float):
            same = _is_number(value) and float(value) == wanted
        else:
            assert glob is not None
            same = value is not None and glob.fullmatch(_text(value)) is not None
        return same if op == "=" else not same

    return equal


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)
