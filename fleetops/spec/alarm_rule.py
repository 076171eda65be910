"""A composite alarm's ``AlarmRule``, as CloudWatch's PutCompositeAlarm defines it: parsed, then
evaluated against the states of the alarms it names.

    ALARM(high-5xx) AND NOT (OK(cpu) OR INSUFFICIENT_DATA("db-connections"))

- ``ALARM(x)``, ``OK(x)``, ``INSUFFICIENT_DATA(x)``: TRUE when alarm ``x`` is in that state; the
  name may be in double quotes;
- ``TRUE`` and ``FALSE``; ``NOT``, ``AND``, ``OR`` (NOT binds tightest, then AND, then OR) and
  parentheses; keywords in capitals, as AWS writes them;
- at most 10,240 characters and 100 alarm references (AWS's limits).

A mistake is a ``RuleError`` naming its column: ``column 14: expected '(' after ALARM``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fleetops.spec.lexing import MAX_DEPTH, Token, TokenCursor, tokenize

MAX_LENGTH = 10_240
MAX_REFERENCES = 100
STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
_TOKEN = re.compile(r'\s*(?:(?P<punct>[()])|"(?P<quoted>[^"]*)"|(?P<word>[^\s()"]+))')


class RuleError(ValueError):
    """A rule that cannot be parsed; the message names the column (1-based)."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class InState:
    state: str
    alarm: str


@dataclass(frozen=True)
class Not:
    operand: Rule


@dataclass(frozen=True)
class And:
    left: Rule
    right: Rule


@dataclass(frozen=True)
class Or:
    left: Rule
    right: Rule


Rule = Const | InState | Not | And | Or


def _unclosed(column: int) -> RuleError:
    return RuleError(column, "unclosed quote")


class _Parser(TokenCursor):
    def __init__(self, text: str) -> None:
        super().__init__(tokenize(text, _TOKEN, _unclosed))
        self.references = 0

    def too_deep(self, token: Token) -> Exception:
        return RuleError(token.column, f"a rule may nest NOT and parentheses at most {MAX_DEPTH} deep")

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text == word

    def parse(self) -> Rule:
        rule = self.or_()
        token = self.peek()
        if token.kind != "end":
            raise RuleError(token.column, f"expected AND, OR or the end of the rule, found {token.text!r}")
        return rule

    def or_(self) -> Rule:
        rule = self.and_()
        while self.is_word("OR"):
            self.take()
            rule = Or(rule, self.and_())
        return rule

    def and_(self) -> Rule:
        rule = self.not_()
        while self.is_word("AND"):
            self.take()
            rule = And(rule, self.not_())
        return rule

    def not_(self) -> Rule:
        if self.is_word("NOT"):
            self.deeper(self.take())
            rule = Not(self.not_())
            self.shallower()
            return rule
        return self.primary()

    def primary(self) -> Rule:
        token = self.take()
        if token.kind == "punct" and token.text == "(":
            self.deeper(token)
            rule = self.or_()
            self.shallower()
            close = self.take()
            if close.kind != "punct" or close.text != ")":
                raise RuleError(close.column, f"expected ')', found {_shown(close)}")
            return rule
        if token.kind == "word" and token.text in ("TRUE", "FALSE"):
            return Const(token.text == "TRUE")
        if token.kind == "word" and token.text in STATES:
            return self.function(token)
        raise RuleError(
            token.column,
            f"expected ALARM(name), OK(name), INSUFFICIENT_DATA(name), TRUE, FALSE, NOT or '(', "
            f"found {_shown(token)}",
        )

    def function(self, name: Token) -> Rule:
        opening = self.take()
        if opening.kind != "punct" or opening.text != "(":
            raise RuleError(opening.column, f"expected '(' after {name.text}, found {_shown(opening)}")
        alarm = self.take()
        if alarm.kind not in ("word", "quoted") or not alarm.text.strip():
            raise RuleError(
                alarm.column, f"expected an alarm name in {name.text}(...), found {_shown(alarm)}"
            )
        close = self.take()
        if close.kind != "punct" or close.text != ")":
            raise RuleError(close.column, f"expected ')' after the alarm name, found {_shown(close)}")
        self.references += 1
        if self.references > MAX_REFERENCES:
            raise RuleError(name.column, f"a rule may name at most {MAX_REFERENCES} alarms")
        return InState(name.text, alarm.text.strip())


def _shown(token: Token) -> str:
    return "the end of the rule" if token.kind == "end" else repr(token.text)


def parse_rule(text: str) -> Rule:
    """The rule ``text`` parsed; ``RuleError`` naming the column of the first mistake."""
    if len(text) > MAX_LENGTH:
        raise RuleError(MAX_LENGTH + 1, f"a rule may be at most {MAX_LENGTH} characters")
    if not text.strip():
        raise RuleError(1, "the rule is empty")
    return _Parser(text).parse()


def referenced(rule: Rule) -> list[str]:
    """The alarm names ``rule`` mentions, in order of first mention."""
    if isinstance(rule, InState):
        return [rule.alarm]
    if isinstance(rule, Const):
        return []
    if isinstance(rule, Not):
        return referenced(rule.operand)
    return list(dict.fromkeys([*referenced(rule.left), *referenced(rule.right)]))


def holds(rule: Rule, states: Mapping[str, str]) -> bool:
    """Whether ``rule`` is TRUE when each alarm is in ``states[name]`` (KeyError if one is missing)."""
    if isinstance(rule, Const):
        return rule.value
    if isinstance(rule, InState):
        return states[rule.alarm] == rule.state
    if isinstance(rule, Not):
        return not holds(rule.operand, states)
    if isinstance(rule, And):
        return holds(rule.left, states) and holds(rule.right, states)
    return holds(rule.left, states) or holds(rule.right, states)
