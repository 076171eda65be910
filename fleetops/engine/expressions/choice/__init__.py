"""Choice rules: parsing with validation, and evaluation against a Scope."""

from fleetops.engine.expressions.choice.parse import parse_choice_rule
from fleetops.engine.expressions.choice.rules import And, ChoiceRule, Comparison, Condition, Not, Or, TypeTest
from fleetops.engine.expressions.choice.timestamps import is_timestamp, parse_timestamp

__all__ = [
    "And",
    "ChoiceRule",
    "Comparison",
    "Condition",
    "Not",
    "Or",
    "TypeTest",
    "is_timestamp",
    "parse_choice_rule",
    "parse_timestamp",
]
