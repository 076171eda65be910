"""JSONPath as AWS Step Functions reads it: `$` the input, `$$` the context, `$name` a variable.

    "A Path is a string, beginning with `$`, used to identify components with a JSON text."
    "A Reference Path is a Path with syntax limited in such a way that it can only identify a
    single node in a JSON structure." (Amazon States Language specification, Paths)

AWS evaluates paths with Jayway JsonPath. A *definite* path (names and indexes only) yields one
value, and raises `PathNotFound` when nothing is there. An *indefinite* path (wildcards, slices,
filters, unions, `..`) yields a list of every match, empty when nothing matched. Definite paths
are walked here by hand, so that bracketed names keep every character (Jayway keeps a backslash
that jsonpath-ng drops); indefinite ones are run by jsonpath-ng's extended parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext.parser import parse as jsonpath_parse

from fleetops.engine.expressions.scope import Scope

Segment = str | int
RootKind = Literal["input", "context", "variable"]

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_END = re.compile(r"[.\[]")
_INDEX = re.compile(r"-?[0-9]+")


class PathNotFound(Exception):
    """A definite path matched nothing in the value it was applied to."""

    def __init__(self, path: str, segments: tuple[Segment, ...] = ()) -> None:
        super().__init__(f"No results for path: {normalized_path(segments)}")
        self.path = path
        self.segments = segments

    @property
    def normalized(self) -> str:
        """The path in Jayway's normalized form, e.g. `$['a'][0]`, as AWS prints it."""
        return normalized_path(self.segments)


def normalized_path(segments: tuple[Segment, ...]) -> str:
    """Spell segments the way Jayway prints a path: `$['name'][0]`."""
    parts = [f"[{item}]" if isinstance(item, int) else f"['{item}']" for item in segments]
    return "$" + "".join(parts)


@dataclass(frozen=True)
class ParsedPath:
    """A JSONPath split into the value it starts from and the steps taken from there."""

    text: str
    root: RootKind
    variable: str | None
    query: str
    """The path relative to its root, starting with `$` (`$$.a.b` -> `$.a.b`)."""
    segments: tuple[Segment, ...] | None
    """The names and indexes of a definite path; None when the path is indefinite."""

    @property
    def definite(self) -> bool:
        """True when the path can only identify a single node (a Reference Path)."""
        return self.segments is not None


@lru_cache(maxsize=4096)
def parse_path(text: str) -> ParsedPath:
    """Parse a Path; raise ValueError(message) when it is not one."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise ValueError(f"{text!r} is not a JSONPath: it must begin with '$'")
    variable: str | None = None
    root: RootKind
    if text.startswith("$$"):
        root, rest = "context", text[2:]
    elif (match := _VARIABLE.match(text, 1)) is not None:
        root, variable, rest = "variable", match.group(), text[match.end() :]
    else:
        root, rest = "input", text[1:]
    rest = _without_dot_before_bracket(rest)
    query = "$" + rest
    segments = _definite_segments(rest)
    if segments is None:
        _compiled(query)  # raises ValueError when jsonpath-ng cannot read it either
    return ParsedPath(text, root, variable, query, segments)


def _without_dot_before_bracket(rest: str) -> str:
    """Jayway reads `$.[0]` and `$.[?(...)]` as `$[0]` and `$[?(...)]`; jsonpath-ng does not."""
    chars: list[str] = []
    quote = ""
    for index, char in enumerate(rest):
        if quote:
            quote = "" if char == quote and rest[index - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char == "." and rest[index + 1 : index + 2] == "[":
            continue
        chars.append(char)
    return "".join(chars)


def _definite_segments(rest: str) -> tuple[Segment, ...] | None:
    """Split `.a['b'][0]` into ('a', 'b', 0); None for anything indefinite."""
    segments: list[Segment] = []
    pos = 0
    while pos < len(rest):
        char = rest[pos]
        if char == "." and rest[pos + 1 : pos + 2] not in ("", ".", "["):
            end_match = _NAME_END.search(rest, pos + 1)
            end = end_match.start() if end_match else len(rest)
            name = rest[pos + 1 : end]
            if name == "*" or "(" in name:
                return None
            segments.append(name)
            pos = end
        elif char == "[" and rest[pos + 1 : pos + 2] in ("'", '"'):
            parsed = _quoted_name(rest, pos + 1)
            if parsed is None:
                return None
            name, pos = parsed
            segments.append(name)
        elif (match := _index_at(rest, pos)) is not None:
            segments.append(int(match.group()))
            pos = match.end() + 1
        else:
            return None
    return tuple(segments)


def _index_at(rest: str, pos: int) -> re.Match[str] | None:
    """Match `[<integer>]` at `pos`; the match spans the integer only."""
    if rest[pos : pos + 1] != "[":
        return None
    match = _INDEX.match(rest, pos + 1)
    if match is None or rest[match.end() : match.end() + 1] != "]":
        return None
    return match


def _quoted_name(rest: str, start: int) -> tuple[str, int] | None:
    """Read `'name']` from `start` (at the quote); return the name and the position after `]`."""
    quote = rest[start]
    chars: list[str] = []
    pos = start + 1
    while pos < len(rest):
        char = rest[pos]
        if char == "\\" and rest[pos + 1 : pos + 2] == quote:
            chars.append(quote)
            pos += 2
            continue
        if char == quote:
            if rest[pos + 1 : pos + 2] != "]":
                return None  # a union such as ['a','b'] is indefinite
            return "".join(chars), pos + 2
        chars.append(char)
        pos += 1
    raise ValueError(f"unterminated quoted name in JSONPath {rest!r}")


@lru_cache(maxsize=1024)
def _compiled(query: str) -> Any:
    try:
        return jsonpath_parse(query)
    except (JsonPathLexerError, JsonPathParserError) as err:
        raise ValueError(f"{query!r} is not a valid JSONPath: {err}") from err
    except Exception as err:  # jsonpath-ng's ext grammar raises plain errors on some inputs
        raise ValueError(f"{query!r} is not a valid JSONPath: {err}") from err


def resolve_path(path: str, scope: Scope) -> Any:
    """Return the value `path` identifies in `scope`.

    A definite path returns the node itself and raises PathNotFound when it is absent (or the
    variable is not defined); an indefinite path returns the list of all matches.
    """
    parsed = parse_path(path)
    if parsed.root == "input":
        root = scope.input
    elif parsed.root == "context":
        root = scope.context
    else:
        assert parsed.variable is not None  # set whenever root is "variable"
        if parsed.variable not in scope.variables:
            raise PathNotFound(path)
        root = scope.variables[parsed.variable]
    return apply_path(parsed, root)


def apply_path(parsed: ParsedPath, root: Any) -> Any:
    """Apply a parsed path's steps to `root` (its `$`)."""
    if parsed.segments is None:
        return [match.value for match in _compiled(parsed.query).find(root)]
    node = root
    for index, segment in enumerate(parsed.segments):
        found, node = _step(node, segment)
        if not found:
            raise PathNotFound(parsed.text, parsed.segments[: index + 1])
    return node


def _step(node: Any, segment: Segment) -> tuple[bool, Any]:
    if isinstance(segment, int):
        if isinstance(node, list) and -len(node) <= segment < len(node):
            return True, node[segment]
        return False, None
    if isinstance(node, dict) and segment in node:
        return True, node[segment]
    return False, None
