"""The lexing and token cursor shared by the fleet file's two small expression languages: a
composite alarm's ``AlarmRule`` (``fleetops.spec.alarm_rule``) and metric math
(``fleetops.spec.metric_math``).

Each language gives its token pattern (one named group per kind) and its own error; this module
splits the text into ``Token`` values carrying their 1-based column, ends the list with an
``end`` token, and keeps the parser's place and nesting depth. Both parsers recurse once per
nesting level, so both refuse input nested deeper than ``MAX_DEPTH`` (a rule of 3,000 '('
within its length limit exhausted Python's recursion instead of being refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_DEPTH = 50
"""How deep an expression may nest (parentheses, NOT, arrays, calls, unary minus)."""


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is the name of the pattern's group that matched, or ``end``."""

    kind: str
    text: str
    column: int
    """1-based column of the token's first character."""


def tokenize(text: str, pattern: re.Pattern[str], refuse: Callable[[int], Exception]) -> list[Token]:
    """``text`` as tokens of ``pattern`` (leading white space skipped), then an ``end`` token;
    ``refuse(column)`` is raised at the first character no token starts with."""
    out: list[Token] = []
    at = 0
    while at < len(text):
        match = pattern.match(text, at)
        if match is None or match.end() == at:
            rest = text[at:]
            if not rest.strip():
                break
            raise refuse(at + len(rest) - len(rest.lstrip()) + 1)
        kind = match.lastgroup
        assert kind is not None  # every alternative of the pattern is a named group
        out.append(Token(kind, match.group(kind), match.start(kind) + 1))
        at = match.end()
    out.append(Token("end", "", len(text) + 1))
    return out


class TokenCursor:
    """A parser's place in its tokens and how deep it has nested."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    def too_deep(self, token: Token) -> Exception:
        """The error for nesting past ``MAX_DEPTH`` at ``token``: each language says it its way."""
        return ValueError(f"column {token.column}: nested more than {MAX_DEPTH} deep")

    def peek(self) -> Token:
        """The next token, left in place."""
        return self.tokens[self.at]

    def take(self) -> Token:
        """The next token, consumed."""
        token = self.tokens[self.at]
        self.at += 1
        return token

    def deeper(self, token: Token) -> None:
        """One nesting level more, opened at ``token``; ``too_deep`` past ``MAX_DEPTH``."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.too_deep(token)

    def shallower(self) -> None:
        """Back out of one nesting level."""
        self.depth -= 1
