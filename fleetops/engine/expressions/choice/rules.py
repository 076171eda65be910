"""Choice rules: one small class per kind, each evaluated against a Scope.

"A Choice Rule MUST have a 'Next' field ... a Boolean expression, or a Data-test
expression." "A Boolean expression is a JSON object which contains a field named 'And',
'Or', or 'Not'." "A data-test expression ... has a 'Variable' field whose value MUST be a
Path, and exactly one comparison operator field." (Amazon States Language specification)
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.expressions.choice.operators import (
    ORDERING_TESTS,
    family_key,
    type_test,
)
from fleetops.engine.expressions.jsonpath import PathNotFound, resolve_path
from fleetops.engine.expressions.scope import Scope


class ChoiceRule(ABC):
    """A rule that decides, for one scope, whether its branch is taken."""

    @abstractmethod
    def evaluate(self, scope: Scope) -> bool:
        """True when the rule matches; StatesError when AWS fails the state instead."""


def _invalid_path(path: str) -> StatesError:
    return StatesError(
        StatesErrorName.RUNTIME,
        f"Invalid path '{path}': The choice state's condition path references an invalid value.",
    )


def _lookup(path: str, scope: Scope) -> Any:
    try:
        return resolve_path(path, scope)
    except PathNotFound:
        raise _invalid_path(path) from None


@dataclass(frozen=True)
class Comparison(ChoiceRule):
    """`Variable` compared with a value (`NumericEquals: 1`) or another path (`...Path`).

    A value of the wrong type does not match: "the comparison evaluates to false"."""

    variable: str
    family: str
    ordering: str
    operand: Any
    operand_is_path: bool = False
    pattern: re.Pattern[str] | None = None

    def evaluate(self, scope: Scope) -> bool:
        value = _lookup(self.variable, scope)
        operand = _lookup(self.operand, scope) if self.operand_is_path else self.operand
        if self.pattern is not None:
            return isinstance(value, str) and self.pattern.fullmatch(value) is not None
        left, right = family_key(self.family, value), family_key(self.family, operand)
        if left is None or right is None:
            return False
        return ORDERING_TESTS[self.ordering](left, right)


@dataclass(frozen=True)
class TypeTest(ChoiceRule):
    """IsNull, IsPresent, IsNumeric, IsString, IsBoolean, IsTimestamp: `true` matches values of
    that kind, `false` matches the others. IsPresent never fails on a missing path."""

    variable: str
    operator: str
    expected: bool

    def evaluate(self, scope: Scope) -> bool:
        try:
            value, present = resolve_path(self.variable, scope), True
        except PathNotFound:
            if self.operator != "IsPresent":
                raise _invalid_path(self.variable) from None
            value, present = None, False
        return type_test(self.operator, present, value) == self.expected


@dataclass(frozen=True)
class And(ChoiceRule):
    """ "And: the value MUST be a non-empty array of Choice Rules ... true if all are true"."""

    rules: tuple[ChoiceRule, ...]

    def evaluate(self, scope: Scope) -> bool:
        return all(rule.evaluate(scope) for rule in self.rules)


@dataclass(frozen=True)
class Or(ChoiceRule):
    """ "Or: ... true if any of them evaluates to true"."""

    rules: tuple[ChoiceRule, ...]

    def evaluate(self, scope: Scope) -> bool:
        return any(rule.evaluate(scope) for rule in self.rules)


@dataclass(frozen=True)
class Not(ChoiceRule):
    """ "Not: the value MUST be a single Choice Rule ... true if it evaluates to false"."""

    rule: ChoiceRule

    def evaluate(self, scope: Scope) -> bool:
        return not self.rule.evaluate(scope)


@dataclass(frozen=True)
class Condition(ChoiceRule):
    """JSONata: "Condition: a JSONata expression or a boolean; the rule matches when it
    evaluates to true." `$states.input` is the scope's input."""

    condition: Any
    field: str = "Condition"
    """How AWS names the rule's Condition in causes: `Choices[0]/Condition`."""

    def evaluate(self, scope: Scope) -> bool:
        from fleetops.engine.expressions.jsonata_query import evaluate_condition

        return evaluate_condition(self.condition, scope, self.field)
