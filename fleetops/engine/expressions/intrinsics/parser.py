"""The intrinsic-function syntax: `States.Name(arg, ...)`, parsed into a small tree.

"An Intrinsic Function MUST be a string. ... arguments MAY be ... string literals ...,
numbers, booleans, null, Paths, or other Intrinsic Functions." "The following characters
are reserved for intrinsic functions, and must be escaped with a backslash ('\\') if you
want them to appear in the Value: ', {, }, and \\." "If an open escape backslash \\ is found
in the intrinsic invocation string, the interpreter will throw a runtime error."
(Amazon States Language specification, Intrinsic Functions)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fleetops.engine.expressions.jsonpath import parse_path

_NAME = re.compile(r"States\.([A-Za-z0-9]+)\s*\(")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_KEYWORD = re.compile(r"(true|false|null)\b")
_ESCAPES = {"'": "'", "{": "{", "}": "}", "\\": "\\"}

# name -> (least, most) number of arguments; None for no upper bound.
ARITY: dict[str, tuple[int, int | None]] = {
    "Format": (1, None),
    "StringToJson": (1, 1),
    "JsonToString": (1, 1),
    "Array": (0, None),
    "ArrayPartition": (2, 2),
    "ArrayContains": (2, 2),
    "ArrayRange": (3, 3),
    "ArrayGetItem": (2, 2),
    "ArrayLength": (1, 1),
    "ArrayUnique": (1, 1),
    "Base64Encode": (1, 1),
    "Base64Decode": (1, 1),
    "Hash": (2, 2),
    "JsonMerge": (3, 3),
    "MathRandom": (2, 3),
    "MathAdd": (2, 2),
    "StringSplit": (2, 2),
    "UUID": (0, 0),
}


@dataclass(frozen=True)
class Literal:
    """A string, number, boolean or null written in the call."""

    value: Any
    placeholders: tuple[int, ...] = ()
    """For a string: where an unescaped `{}` starts (States.Format fills only those)."""


@dataclass(frozen=True)
class PathArg:
    """A Path argument: `$.a`, `$$.Execution.Id` or `$var.field`."""

    path: str


@dataclass(frozen=True)
class Call:
    """A call of `States.<name>` with its arguments."""

    name: str
    args: tuple[Literal | PathArg | Call, ...]


Node = Literal | PathArg | Call


def is_intrinsic(text: str) -> bool:
    """True when `text` looks like an intrinsic call (starts with `States.<name>(`)."""
    return _NAME.match(text.strip()) is not None


@lru_cache(maxsize=2048)
def parse_intrinsic(expression: str) -> Call:
    """Parse an intrinsic call; raise ValueError(message) saying what is wrong and where."""
    parser = _Parser(expression)
    parser.skip_space()
    call = parser.call()
    parser.skip_space()
    if parser.pos != len(expression):
        parser.fail("unexpected text after the closing ')'")
    return call


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> None:
        raise ValueError(f"invalid intrinsic function {self.text!r}: {what} at character {self.pos + 1}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> Call:
        match = _NAME.match(self.text, self.pos)
        if match is None:
            self.fail("expected a function call 'States.<Name>('")
            raise AssertionError  # unreachable: fail raises
        name = match.group(1)
        if name not in ARITY:
            self.fail(f"unknown function 'States.{name}'")
        self.pos = match.end()
        args: list[Node] = []
        self.skip_space()
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                self.skip_space()
                args.append(self.argument())
                self.skip_space()
                char = self.peek()
                self.pos += 1
                if char == ")":
                    break
                if char != ",":
                    self.pos -= 1
                    self.fail("expected ',' or ')'")
        least, most = ARITY[name]
        if len(args) < least or (most is not None and len(args) > most):
            expected = f"{least}-{most}" if most is not None else f"{least} or more"
            if least == most:
                expected = str(least)
            self.pos -= 1
            self.fail(f"States.{name} takes {expected} argument(s), got {len(args)}")
        return Call(name, tuple(args))

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def argument(self) -> Node:
        char = self.peek()
        if char == "'":
            return self.string()
        if char == "$":
            return self.path()
        if self.text.startswith("States.", self.pos):
            return self.call()
        if (keyword := _KEYWORD.match(self.text, self.pos)) is not None:
            self.pos = keyword.end()
            return Literal({"true": True, "false": False, "null": None}[keyword.group(1)])
        if (number := _NUMBER.match(self.text, self.pos)) is not None:
            self.pos = number.end()
            text = number.group()
            is_int = not any(c in text for c in ".eE")
            return Literal(int(text) if is_int else float(text))
        self.fail("expected a string, number, boolean, null, path or function call")
        raise AssertionError  # unreachable: fail raises

    def string(self) -> Literal:
        self.pos += 1  # the opening quote
        chars: list[str] = []
        placeholders: list[int] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                escaped = self.text[self.pos + 1 : self.pos + 2]
                if escaped not in _ESCAPES:
                    self.fail(f"invalid escape '\\{escaped}' (only \\' \\{{ \\}} \\\\ are allowed)")
                chars.append(_ESCAPES[escaped])
                self.pos += 2
                continue
            if char == "'":
                self.pos += 1
                return Literal("".join(chars), tuple(placeholders))
            if char == "{" and self.text[self.pos + 1 : self.pos + 2] == "}":
                placeholders.append(sum(len(piece) for piece in chars))
                chars.append("{}")
                self.pos += 2
                continue
            chars.append(char)
            self.pos += 1
        self.fail("unterminated string literal")
        raise AssertionError  # unreachable: fail raises

    def path(self) -> PathArg:
        start = self.pos
        depth = 0
        quote = ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"" and depth > 0:
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.pos += 1
        text = self.text[start : self.pos].rstrip()
        try:
            parse_path(text)
        except ValueError as err:
            self.pos = start
            self.fail(str(err))
        return PathArg(text)
