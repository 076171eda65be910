"""Composite alarm rules: parsed as PutCompositeAlarm's AlarmRule, evaluated exactly, and a
mistake named by its column."""

from __future__ import annotations

import itertools

import pytest

from fleetops.spec.alarm_rule import RuleError, holds, parse_rule, referenced

STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")


def _truth_table(rule: str, names: tuple[str, ...]) -> dict[tuple[str, ...], bool]:
    parsed = parse_rule(rule)
    return {
        combo: holds(parsed, dict(zip(names, combo, strict=True)))
        for combo in itertools.product(STATES, repeat=len(names))
    }


def test_alarm_and_not_ok_or_insufficient_data_truth_table() -> None:
    table = _truth_table('ALARM(a) AND NOT (OK(b) OR INSUFFICIENT_DATA("c"))', ("a", "b", "c"))
    # TRUE exactly when a is ALARM, b is not OK and c is not INSUFFICIENT_DATA.
    expected = {
        combo: combo[0] == "ALARM" and combo[1] != "OK" and combo[2] != "INSUFFICIENT_DATA" for combo in table
    }
    assert table == expected
    assert sorted(combo for combo, value in table.items() if value) == [
        ("ALARM", "ALARM", "ALARM"),
        ("ALARM", "ALARM", "OK"),
        ("ALARM", "INSUFFICIENT_DATA", "ALARM"),
        ("ALARM", "INSUFFICIENT_DATA", "OK"),
    ]


@pytest.mark.parametrize(
    ("rule", "a", "b", "expected"),
    [
        # NOT binds tighter than AND, AND tighter than OR.
        ("ALARM(a) OR ALARM(b) AND OK(a)", "ALARM", "OK", True),
        ("ALARM(a) OR ALARM(b) AND OK(a)", "OK", "ALARM", True),
        ("ALARM(a) OR ALARM(b) AND OK(a)", "INSUFFICIENT_DATA", "ALARM", False),
        ("(ALARM(a) OR ALARM(b)) AND OK(a)", "ALARM", "ALARM", False),
        ("NOT ALARM(a) AND ALARM(b)", "OK", "ALARM", True),
        ("NOT (ALARM(a) AND ALARM(b))", "ALARM", "ALARM", False),
        ("NOT NOT ALARM(a)", "ALARM", "OK", True),
        ("TRUE", "OK", "OK", True),
        ("FALSE OR ALARM(b)", "OK", "ALARM", True),
        ("ALARM(a) AND TRUE", "ALARM", "OK", True),
        ("ALARM(a) AND FALSE", "ALARM", "ALARM", False),
        ("INSUFFICIENT_DATA(a) OR OK(b)", "INSUFFICIENT_DATA", "ALARM", True),
    ],
)
def test_precedence_constants_and_states(rule: str, a: str, b: str, expected: bool) -> None:
    assert holds(parse_rule(rule), {"a": a, "b": b}) is expected


def test_the_alarms_named_are_listed_once_in_order() -> None:
    assert referenced(parse_rule('ALARM(b) OR (OK("a") AND NOT ALARM(b))')) == ["b", "a"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "column 1: the rule is empty"),
        ("ALARM(a) AND", "column 13: expected ALARM(name), OK(name), INSUFFICIENT_DATA(name), TRUE, "
         "FALSE, NOT or '(', found the end of the rule"),
        ("ALARM a", "column 7: expected '(' after ALARM, found 'a'"),
        ("ALARM(a", "column 8: expected ')' after the alarm name, found the end of the rule"),
        ("ALARM()", "column 7: expected an alarm name in ALARM(...), found ')'"),
        ("ALARM(a) and ALARM(b)", "column 10: expected AND, OR or the end of the rule, found 'and'"),
        ("(ALARM(a) OR OK(b)", "column 19: expected ')', found the end of the rule"),
        ('ALARM("a)', "column 7: unclosed quote"),
        ("ALARMS(a)", "column 1: expected ALARM(name), OK(name), INSUFFICIENT_DATA(name), TRUE, FALSE, "
         "NOT or '(', found 'ALARMS'"),
    ],
)  # fmt: skip
def test_a_mistake_names_its_column(rule: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(rule)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("rule", "column"),
    [
        ("(" * 2000 + "ALARM(a)" + ")" * 2000, 51),
        ("NOT " * 2000 + "ALARM(a)", 201),
        ("(NOT " * 1000 + "OK(a)" + ")" * 1000, 126),
    ],
)
def test_nesting_deeper_than_the_limit_is_refused_where_it_goes_too_deep(rule: str, column: int) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(rule)
    assert str(caught.value) == f"column {column}: a rule may nest NOT and parentheses at most 50 deep"


def test_nesting_up_to_the_limit_is_a_rule() -> None:
    # 25 parentheses around 25 NOTs: 50 levels; an odd number of NOTs of a false ALARM(a)
    assert holds(parse_rule("(" * 25 + "NOT " * 25 + "ALARM(a)" + ")" * 25), {"a": "OK"}) is True
