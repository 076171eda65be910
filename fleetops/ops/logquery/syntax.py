"""The CloudWatch Logs Insights query language: tokens, syntax tree and parser.

A query is commands joined by ``|``; ``#`` starts a comment. The commands and expressions are
AWS's ("CloudWatch Logs Insights language query syntax"): ``fields``, ``display``, ``filter``,
``stats … by …``, ``sort``, ``limit``, ``parse`` (glob or regular expression), ``dedup`` and
``unmask``; arithmetic, comparisons, ``and``/``or``/``not``, ``like`` and ``=~`` with strings or
``/regex/``, ``in [..]``, function calls and ``bin(5m)`` durations. Every error names the
position (column, and line when the query has several) of what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fleetops.errors import BadInput

MAX_QUERY_LENGTH = 10_000
"""AWS's limit on ``queryString`` (StartQuery)."""
MAX_DEPTH = 64
"""Nesting depth of parentheses and calls; deeper is refused rather than overflowing the stack."""

COMMANDS = ("fields", "display", "filter", "stats", "sort", "limit", "parse", "dedup", "unmask")
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n]*)
    | (?P<duration>\d+(?:\.\d+)?(?:ms|mo|s|m|h|d|w|q|y)(?![\w@.]))
    | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<backtick>`[^`]*`)
    | (?P<name>@?[A-Za-z_][\w]*(?:\.[A-Za-z_@][\w]*)*)
    | (?P<op>=~|!=|<=|>=|[=<>|(),\[\]+\-*/%^])
    """,
    re.VERBOSE,
)
_REGEX = re.compile(r"/((?:[^/\\\n]|\\.)*)/")
# After these a '/' starts a regular expression, not a division.
_REGEX_AFTER = frozenset({"like", "=~", "(", ",", "[", "|", "=", "!=", "parse", "and", "or", "not", "in"})
DURATION_UNITS: dict[str, tuple[str, float]] = {
    "ms": ("seconds", 0.001),
    "s": ("seconds", 1),
    "m": ("seconds", 60),
    "h": ("seconds", 3600),
    "d": ("seconds", 86400),
    "w": ("seconds", 7 * 86400),
    "mo": ("months", 1),
    "q": ("months", 3),
    "y": ("months", 12),
}


@dataclass(frozen=True)
class Token:
    kind: str
    """name, number, duration, string, regex, op or end."""
    text: str
    start: int
    end: int


# -- syntax tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    text: str
    """The query's own text of the expression: a result column without ``as`` is named by it."""
    start: int


@dataclass(frozen=True)
class Number(Expr):
    value: float


@dataclass(frozen=True)
class String(Expr):
    value: str


@dataclass(frozen=True)
class Regex(Expr):
    pattern: str


@dataclass(frozen=True)
class Duration(Expr):
    amount: float
    unit: str
    """``seconds`` or ``months``."""


@dataclass(frozen=True)
class FieldRef(Expr):
    name: str


@dataclass(frozen=True)
class Star(Expr):
    """``*`` in ``count(*)``."""


@dataclass(frozen=True)
class Call(Expr):
    function: str
    """Lower case: Insights function names are case-insensitive."""
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary(Expr):
    op: str
    """``not`` or ``-``."""
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    op: str
    """and, or, =, !=, <, <=, >, >=, +, -, *, /, %, ^, like, not like, =~."""
    left: Expr
    right: Expr


@dataclass(frozen=True)
class InList(Expr):
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool


@dataclass(frozen=True)
class Item:
    """``expr [as name]`` in fields and stats, ``expr [asc|desc]`` in sort."""

    expr: Expr
    alias: str | None = None
    descending: bool = False

    @property
    def name(self) -> str:
        return self.alias if self.alias is not None else self.expr.text


@dataclass(frozen=True)
class Command:
    verb: str
    start: int


@dataclass(frozen=True)
class Fields(Command):
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Display(Command):
    names: tuple[str, ...]


@dataclass(frozen=True)
class Filter(Command):
    condition: Expr


@dataclass(frozen=True)
class Stats(Command):
    aggregates: tuple[Item, ...]
    groups: tuple[Item, ...]


@dataclass(frozen=True)
class Sort(Command):
    keys: tuple[Item, ...]


@dataclass(frozen=True)
class Limit(Command):
    count: int


@dataclass(frozen=True)
class Parse(Command):
    source: Expr
    pattern: str
    """A regular expression with one group per field (globs are translated)."""
    names: tuple[str, ...]


@dataclass(frozen=True)
class Dedup(Command):
    names: tuple[str, ...]


@dataclass(frozen=True)
class Unmask(Command):
    """Data protection masks nothing here, so ``unmask`` changes nothing."""


@dataclass(frozen=True)
class Query:
    text: str
    commands: tuple[Command, ...] = field(default=())


# -- errors ------------------------------------------------------------------------------------


def where(text: str, position: int) -> str:
    """``column N`` (``line L, column N`` in a query of several lines), 1-based."""
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}" if "\n" in text else f"column {column}"


def query_error(text: str, position: int, message: str) -> BadInput:
    return BadInput(f"query: {where(text, position)}: {message}")


# -- lexer -------------------------------------------------------------------------------------


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, comments and spaces dropped, ending with an ``end`` token."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        previous = tokens[-1] if tokens else None
        before = tokens[-2] if len(tokens) > 1 else None
        after_parse_source = previous is not None and before is not None and before.text.lower() == "parse"
        if text[position] == "/" and (
            previous is None
            or previous.text.lower() in _REGEX_AFTER
            or (previous.kind == "op" and previous.text not in {")", "]"})
            or after_parse_source
        ):
            match = _REGEX.match(text, position)
            if match is None:
                raise query_error(
                    text, position, "a regular expression that starts with '/' must end with '/'"
                )
            tokens.append(Token("regex", match.group(1), position, match.end()))
            position = match.end()
            continue
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position] in "\"'":
                raise query_error(text, position, "a string that is not closed")
            raise query_error(text, position, f"unexpected character {text[position]!r}")
        kind = match.lastgroup or ""
        if kind not in {"space", "comment"}:
            value = match.group()
            if kind == "backtick":
                kind, value = "name", value[1:-1]
            tokens.append(Token(kind, value, position, match.end()))
        position = match.end()
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _unquote(token: Token) -> str:
    body = token.text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


# -- parser ------------------------------------------------------------------------------------

_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">=", "=~"})


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    # helpers
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def word(self, *words: str) -> bool:
        return self.token.kind == "name" and self.token.text.lower() in words

    def op(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def expect_op(self, op: str, what: str) -> Token:
        if not self.op(op):
            raise self.error(f"expected {op!r} {what}")
        return self.advance()

    def error(self, message: str, token: Token | None = None) -> BadInput:
        token = token or self.token
        found = "the end of the query" if token.kind == "end" else repr(token.text)
        return query_error(self.text, token.start, f"{message}, found {found}")

    def span(self, start: int) -> str:
        return self.text[start : self.tokens[self.index - 1].end]

    def name(self, what: str) -> str:
        if self.token.kind != "name":
            raise self.error(f"expected {what}")
        return self.advance().text

    def names(self, what: str) -> tuple[str, ...]:
        names = [self.name(what)]
        while self.op(","):
            self.advance()
            names.append(self.name(what))
        return tuple(names)

    # query
    def query(self) -> Query:
        if len(self.text) > MAX_QUERY_LENGTH:
            raise BadInput(f"query: it is {len(self.text)} characters long; the most is {MAX_QUERY_LENGTH}")
        commands = [self.command()]
        while self.op("|"):
            self.advance()
            commands.append(self.command())
        if self.token.kind != "end":
            raise self.error("expected '|' before the next command")
        return Query(self.text, tuple(commands))

    def command(self) -> Command:
        token = self.token
        verb = token.text.lower() if token.kind == "name" else ""
        if verb not in COMMANDS:
            raise self.error(f"expected a command ({', '.join(COMMANDS)})")
        self.advance()
        start = token.start
        if verb == "fields":
            return Fields(verb, start, self.items(aliases=True))
        if verb == "display":
            return Display(verb, start, self.names("a field name"))
        if verb == "filter":
            return Filter(verb, start, self.expr())
        if verb == "stats":
            aggregates = self.items(aliases=True)
            groups: tuple[Item, ...] = ()
            if self.word("by"):
                self.advance()
                groups = self.items(aliases=True)
            return Stats(verb, start, aggregates, groups)
        if verb == "sort":
            return Sort(verb, start, self.sort_keys())
        if verb == "limit":
            if self.token.kind != "number" or not self.token.text.isdigit():
                raise self.error("expected a whole number of rows")
            count = int(self.advance().text)
            if not 1 <= count <= 10_000:
                raise query_error(self.text, token.start, f"limit {count}: it must be from 1 to 10000")
            return Limit(verb, start, count)
        if verb == "parse":
            return self.parse_command(start)
        if verb == "dedup":
            return Dedup(verb, start, self.names("a field name"))
        if self.token.kind == "name":
            self.advance()
        return Unmask(verb, start)

    def items(self, *, aliases: bool) -> tuple[Item, ...]:
        items = [self.item(aliases=aliases)]
        while self.op(","):
            self.advance()
            items.append(self.item(aliases=aliases))
        return tuple(items)

    def item(self, *, aliases: bool) -> Item:
        expr = self.expr()
        alias = None
        if aliases and self.word("as"):
            self.advance()
            alias = self.name("a name after 'as'")
        return Item(expr, alias)

    def sort_keys(self) -> tuple[Item, ...]:
        keys = []
        while True:
            expr = self.expr()
            descending = False
            if self.word("asc", "desc"):
                descending = self.advance().text.lower() == "desc"
            keys.append(Item(expr, descending=descending))
            if not self.op(","):
                return tuple(keys)
            self.advance()

    def parse_command(self, start: int) -> Parse:
        source: Expr = FieldRef("@message", self.token.start, "@message")
        if self.token.kind == "name":
            source = self.primary()
        pattern_token = self.token
        if pattern_token.kind == "regex":
            self.advance()
            pattern = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern_token.text)
            try:
                compiled = re.compile(pattern)
            except re.error as err:
                raise query_error(
                    self.text, pattern_token.start, f"invalid regular expression: {err}"
                ) from err
            names = tuple(compiled.groupindex)
            if not names:
                raise query_error(
                    self.text,
                    pattern_token.start,
                    "a parse regular expression needs named groups (?<name>...)",
                )
            return Parse("parse", start, source, pattern, names)
        if pattern_token.kind != "string":
            raise self.error("expected a glob pattern in quotes or a /regular expression/")
        self.advance()
        glob = _unquote(pattern_token)
        if not self.word("as"):
            raise self.error("expected 'as' and the names of the glob's fields")
        self.advance()
        names = self.names("a field name")
        wildcards = glob.count("*")
        if wildcards != len(names):
            raise query_error(
                self.text,
                pattern_token.start,
                f"the pattern has {wildcards} '*' but {len(names)} names follow 'as'",
            )
        parts = [re.escape(part) for part in glob.split("*")]
        pattern = parts[0]
        for index, part in enumerate(parts[1:]):
            last = index == len(parts) - 2
            # The last wildcard, when nothing follows it, takes the rest of the text.
            pattern += ("(.*)" if last and not part else "(.*?)") + part
        return Parse("parse", start, source, pattern, names)

    # expressions, loosest first
    def expr(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expressions nest deeper than {MAX_DEPTH} levels")
        try:
            return self.disjunction()
        finally:
            self.depth -= 1

    def disjunction(self) -> Expr:
        start = self.token.start
        left = self.conjunction()
        while self.word("or"):
            self.advance()
            right = self.conjunction()
            left = Binary(self.span(start), start, "or", left, right)
        return left

    def conjunction(self) -> Expr:
        start = self.token.start
        left = self.negation()
        while self.word("and"):
            self.advance()
            right = self.negation()
            left = Binary(self.span(start), start, "and", left, right)
        return left

    def negation(self) -> Expr:
        start = self.token.start
        if self.word("not"):
            self.advance()
            operand = self.negation()
            return Unary(self.span(start), start, "not", operand)
        return self.comparison()

    def comparison(self) -> Expr:
        start = self.token.start
        left = self.additive()
        negated = False
        if self.word("not") and self.tokens[self.index + 1].text.lower() in {"like", "in"}:
            self.advance()
            negated = True
        if self.word("in"):
            self.advance()
            self.expect_op("[", "after 'in'")
            items = [self.additive()]
            while self.op(","):
                self.advance()
                items.append(self.additive())
            self.expect_op("]", "to close the list")
            return InList(self.span(start), start, left, tuple(items), negated)
        if self.word("like"):
            self.advance()
            right = self.additive()
            if not isinstance(right, String | Regex):
                raise query_error(
                    self.text, right.start, "'like' needs a \"string\" or a /regular expression/"
                )
            return Binary(self.span(start), start, "not like" if negated else "like", left, right)
        if negated:
            raise self.error("expected 'like' or 'in' after 'not'")
        if self.token.kind == "op" and self.token.text in _COMPARISONS:
            op = self.advance().text
            right = self.additive()
            if op == "=~" and not isinstance(right, Regex | String):
                raise query_error(self.text, right.start, "'=~' needs a /regular expression/")
            return Binary(self.span(start), start, op, left, right)
        return left

    def additive(self) -> Expr:
        start = self.token.start
        left = self.multiplicative()
        while self.op("+", "-"):
            op = self.advance().text
            right = self.multiplicative()
            left = Binary(self.span(start), start, op, left, right)
        return left

    def multiplicative(self) -> Expr:
        start = self.token.start
        left = self.power()
        while self.op("*", "/", "%"):
            op = self.advance().text
            right = self.power()
            left = Binary(self.span(start), start, op, left, right)
        return left

    def power(self) -> Expr:
        start = self.token.start
        left = self.unary()
        if self.op("^"):
            self.advance()
            right = self.power()
            return Binary(self.span(start), start, "^", left, right)
        return left

    def unary(self) -> Expr:
        start = self.token.start
        if self.op("-"):
            self.advance()
            operand = self.unary()
            return Unary(self.span(start), start, "-", operand)
        return self.primary()

    def primary(self) -> Expr:
        token = self.token
        start = token.start
        if token.kind == "number":
            self.advance()
            return Number(token.text, start, float(token.text))
        if token.kind == "duration":
            self.advance()
            amount, unit = re.fullmatch(r"([\d.]+)([a-z]+)", token.text).groups()  # type: ignore[union-attr]
            kind, factor = DURATION_UNITS[unit]
            return Duration(token.text, start, float(amount) * factor, kind)
        if token.kind == "string":
            self.advance()
            return String(token.text, start, _unquote(token))
        if token.kind == "regex":
            self.advance()
            return Regex(f"/{token.text}/", start, token.text)
        if self.op("("):
            self.advance()
            inner = self.expr()
            self.expect_op(")", "to close '('")
            return inner
        if self.op("*"):
            self.advance()
            return Star("*", start)
        if token.kind == "name":
            self.advance()
            if self.op("("):
                self.advance()
                self.depth += 1
                if self.depth > MAX_DEPTH:
                    raise self.error(f"expressions nest deeper than {MAX_DEPTH} levels")
                args: list[Expr] = []
                if not self.op(")"):
                    args.append(self.expr())
                    while self.op(","):
                        self.advance()
                        args.append(self.expr())
                self.expect_op(")", f"to close {token.text}(")
                self.depth -= 1
                return Call(self.span(start), start, token.text.lower(), tuple(args))
            return FieldRef(token.text, start, token.text)
        raise self.error("expected a field, a value or a function call")


def parse_query(text: str) -> Query:
    """The syntax tree of ``text``; ``BadInput`` naming the position of the first problem."""
    if not text.strip():
        raise BadInput("query: it is empty; start with a command, e.g. 'fields @timestamp, @message'")
    return _Parser(text).query()
