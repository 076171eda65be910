"""CloudWatch metric math expressions (``Metrics: [{Id, Expression}, {Id, MetricStat}]``), parsed.

    errors / invocations * 100
    IF(FILL(requests, 0) > 10, 100 * SUM([e4xx, e5xx]) / requests)

- numbers, ids of other queries (a lowercase letter first, then letters, digits, ``_``), ``"text"``
  (only in ``METRICS("errors")``), arrays ``[a, b]``;
- ``+ - * / ^``, unary ``-``, comparisons ``== != <= >= < >``, ``AND``/``&&``, ``OR``/``||``
  (``^`` binds tightest, then unary minus, ``* /``, ``+ -``, comparisons, ``AND``, ``OR``);
- the functions in ``FUNCTIONS``, in capitals as AWS writes them; ``FILL`` takes ``REPEAT`` or
  ``LINEAR`` too. CloudWatch's other functions (SEARCH, SORT, ANOMALY_DETECTION_BAND, ...) are
  refused by name.

A mistake is a ``MathError`` naming its column: ``column 9: unknown function SUMM``.
``check_queries`` validates a set of queries as PutMetricAlarm and GetMetricData do: ids unique
and well formed, each id an expression names defined, no cycle; ``evaluation_order`` sorts them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fleetops.spec.lexing import MAX_DEPTH, Token, TokenCursor, tokenize

MAX_EXPRESSION = 2048
"""MetricDataQuery.Expression's maximum length."""
ID_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9_]{0,254}$")
FUNCTIONS: Mapping[str, tuple[int, int]] = {
    "ABS": (1, 1),
    "AVG": (1, 1),
    "CEIL": (1, 1),
    "DATAPOINT_COUNT": (1, 1),
    "DIFF": (1, 1),
    "FILL": (2, 2),
    "FIRST": (1, 1),
    "FLOOR": (1, 1),
    "IF": (2, 3),
    "LAST": (1, 1),
    "LOG": (1, 1),
    "LOG10": (1, 1),
    "MAX": (1, 1),
    "METRICS": (0, 1),
    "METRIC_COUNT": (1, 1),
    "MIN": (1, 1),
    "PERIOD": (1, 1),
    "RATE": (1, 1),
    "RUNNING_SUM": (1, 1),
    "STDDEV": (1, 1),
    "SUM": (1, 1),
    "TIME_SERIES": (1, 1),
}
"""Function name -> (fewest, most) arguments."""
NOT_EVALUATED = frozenset(
    {
        "ANOMALY_DETECTION_BAND", "DATE", "DAY", "DIFF_TIME", "EPOCH", "HOUR", "INSIGHT_RULE_METRIC",
        "LAMBDA", "MINUTE", "MONTH", "REMOVE_EMPTY", "SEARCH", "SERVICE_QUOTA", "SLICE", "SORT", "YEAR",
    }
)  # fmt: skip
"""CloudWatch functions fleetops does not evaluate: refused by name, not as unknown."""
KEYWORDS = frozenset({"REPEAT", "LINEAR"})
_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r'|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|"(?P<text>[^"]*)"'
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/^<>()\[\],]))"
)
_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
MAX_OPERATIONS = 100
"""How many operations may be inside one another (``1+1+...`` too: evaluation recurses)."""


class MathError(ValueError):
    """An expression that cannot be parsed or evaluated; the message names the column when known."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(f"column {column}: {message}" if column is not None else message)
        self.column = column


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Ref:
    id: str
    column: int


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Keyword:
    word: str


@dataclass(frozen=True)
class Array:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary:
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str
    """``+ - * / ^``, a comparison, ``AND`` or ``OR``."""
    left: Expr
    right: Expr
    column: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    column: int


Expr = Number | Ref | Text | Keyword | Array | Unary | Binary | Call


def _shown(token: Token) -> str:
    return "the end of the expression" if token.kind == "end" else repr(token.text)


class _Parser(TokenCursor):
    def __init__(self, text: str) -> None:
        def unexpected(column: int) -> MathError:
            return MathError(f"unexpected {text[column - 1]!r}", column)

        super().__init__(tokenize(text, _TOKEN, unexpected))

    def too_deep(self, token: Token) -> Exception:
        return MathError(f"nested more than {MAX_DEPTH} deep", token.column)

    def accept(self, *texts: str) -> Token | None:
        token = self.peek()
        if token.kind in ("op", "word") and token.text in texts:
            self.at += 1
            return token
        return None

    def expect(self, text: str, after: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != text:
            raise MathError(f"expected {text!r} {after}, found {_shown(token)}", token.column)

    def parse(self) -> Expr:
        expr = self.or_()
        token = self.peek()
        if token.kind != "end":
            raise MathError(f"expected an operator or the end, found {_shown(token)}", token.column)
        return expr

    def or_(self) -> Expr:
        expr = self.and_()
        while (token := self.accept("OR", "||")) is not None:
            expr = Binary("OR", expr, self.and_(), token.column)
        return expr

    def and_(self) -> Expr:
        expr = self.comparison()
        while (token := self.accept("AND", "&&")) is not None:
            expr = Binary("AND", expr, self.comparison(), token.column)
        return expr

    def comparison(self) -> Expr:
        expr = self.additive()
        while (token := self.accept(*_COMPARISONS)) is not None:
            expr = Binary(token.text, expr, self.additive(), token.column)
        return expr

    def additive(self) -> Expr:
        expr = self.multiplicative()
        while (token := self.accept("+", "-")) is not None:
            expr = Binary(token.text, expr, self.multiplicative(), token.column)
        return expr

    def multiplicative(self) -> Expr:
        expr = self.unary()
        while (token := self.accept("*", "/")) is not None:
            expr = Binary(token.text, expr, self.unary(), token.column)
        return expr

    def unary(self) -> Expr:
        token = self.accept("-")
        if token is None:
            return self.power()
        self.deeper(token)
        operand = self.unary()
        self.shallower()
        return Unary(operand)

    def power(self) -> Expr:
        base = self.primary()
        token = self.accept("^")
        if token is None:
            return base
        return Binary("^", base, self.unary(), token.column)  # right-associative: 2^3^2 = 2^9

    def primary(self) -> Expr:
        token = self.take()
        nests = (token.kind == "op" and token.text in ("(", "[")) or (
            token.kind == "word" and token.text[0].isupper()  # a function call
        )
        if nests:
            self.deeper(token)
        expr = self._primary(token)
        if nests:
            self.shallower()
        return expr

    def _primary(self, token: Token) -> Expr:
        if token.kind == "number":
            return Number(float(token.text))
        if token.kind == "text":
            return Text(token.text)
        if token.kind == "op" and token.text == "(":
            expr = self.or_()
            self.expect(")", "to close the '('")
            return expr
        if token.kind == "op" and token.text == "[":
            items = [self.or_()]
            while self.accept(",") is not None:
                items.append(self.or_())
            self.expect("]", "to close the array")
            return Array(tuple(items))
        if token.kind == "word":
            return self.word(token)
        raise MathError(f"expected a number, an id, a function or '(', found {_shown(token)}", token.column)

    def word(self, token: Token) -> Expr:
        name = token.text
        if name[0].islower():
            return Ref(name, token.column)
        if name in KEYWORDS:
            return Keyword(name)
        if name in NOT_EVALUATED:
            raise MathError(f"{name} is a CloudWatch function fleetops does not evaluate", token.column)
        if name not in FUNCTIONS:
            raise MathError(
                f"unknown function {name} (known: {', '.join(sorted(FUNCTIONS))}; an id starts with "
                "a lowercase letter)",
                token.column,
            )
        self.expect("(", f"after {name}")
        args: list[Expr] = []
        if self.accept(")") is None:
            args.append(self.or_())
            while self.accept(",") is not None:
                args.append(self.or_())
            self.expect(")", f"to close {name}(")
        fewest, most = FUNCTIONS[name]
        if not fewest <= len(args) <= most:
            wanted = str(fewest) if fewest == most else f"{fewest} to {most}"
            raise MathError(f"{name} takes {wanted} arguments, got {len(args)}", token.column)
        return Call(name, tuple(args), token.column)


def parse_expression(text: str) -> Expr:
    """``text`` parsed; ``MathError`` naming the column of the first mistake."""
    if len(text) > MAX_EXPRESSION:
        raise MathError(f"an expression may be at most {MAX_EXPRESSION} characters")
    if not text.strip():
        raise MathError("the expression is empty")
    expr = _Parser(text).parse()
    if _height(expr) > MAX_OPERATIONS:
        raise MathError(f"more than {MAX_OPERATIONS} operations inside one another: split it into queries")
    return expr


def _children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Array):
        return expr.items
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return expr.args
    return ()


def _height(expr: Expr) -> int:
    """How many nodes the longest path down ``expr`` has (without recursing)."""
    highest, stack = 0, [(expr, 1)]
    while stack:
        node, height = stack.pop()
        highest = max(highest, height)
        stack.extend((child, height + 1) for child in _children(node))
    return highest


def references(expr: Expr) -> list[Ref]:
    """The ids ``expr`` names, in order of appearance."""
    if isinstance(expr, Ref):
        return [expr]
    return [ref for child in _children(expr) for ref in references(child)]


def evaluation_order(expressions: Mapping[str, Expr], metric_ids: Sequence[str]) -> list[str]:
    """Every id, metric queries first, each expression after the ids it names; ``MathError``
    naming an unknown id or a cycle (``a -> b -> a``)."""
    known = {*expressions, *metric_ids}
    for qid, expr in expressions.items():
        for ref in references(expr):
            if ref.id not in known:
                raise MathError(
                    f"query {qid}: column {ref.column}: no query has the id {ref.id!r} "
                    f"(ids: {', '.join(sorted(known))})"
                )
    order = list(metric_ids)
    done = set(metric_ids)
    visiting: list[str] = []

    def visit(qid: str) -> None:
        if qid in done:
            return
        if qid in visiting:
            cycle = [*visiting[visiting.index(qid) :], qid]
            raise MathError(f"the expressions refer to each other in a cycle: {' -> '.join(cycle)}")
        visiting.append(qid)
        for ref in references(expressions[qid]):
            visit(ref.id)
        visiting.pop()
        done.add(qid)
        order.append(qid)

    for qid in expressions:
        visit(qid)
    return order


def check_id(qid: str) -> str:
    """``qid`` if it is a valid query id; MathError otherwise."""
    if not ID_PATTERN.match(qid):
        raise MathError(
            f"id {qid!r}: an id starts with a lowercase letter, then letters, digits or '_' (at most 255)"
        )
    return qid
