"""The intrinsic-function parser (fleetops/engine/expressions/intrinsics/parser.py)."""

from __future__ import annotations

import pytest

from fleetops.engine.expressions.intrinsics import Call, Literal, PathArg, parse_intrinsic


def test_arguments_of_every_kind_are_read() -> None:
    call = parse_intrinsic("States.Array('a\\'b', -1.5, 7, true, false, null, $.x[0], $$.Execution.Id, $v)")

    assert call == Call(
        "Array",
        (
            Literal("a'b"),
            Literal(-1.5),
            Literal(7),
            Literal(True),
            Literal(False),
            Literal(None),
            PathArg("$.x[0]"),
            PathArg("$$.Execution.Id"),
            PathArg("$v"),
        ),
    )


def test_nested_calls_are_read() -> None:
    call = parse_intrinsic("States.ArrayLength(States.StringSplit($.s, ','))")

    assert call == Call("ArrayLength", (Call("StringSplit", (PathArg("$.s"), Literal(","))),))


def test_escaped_braces_are_not_placeholders() -> None:
    template = parse_intrinsic("States.Format('\\{\\} {} \\\\', $.a)").args[0]

    assert template == Literal("{} {} \\", placeholders=(3,))


def test_a_path_with_a_filter_keeps_its_commas() -> None:
    call = parse_intrinsic("States.Array($.a[?(@.b == 'x,y')], 1)")

    assert call.args == (PathArg("$.a[?(@.b == 'x,y')]"), Literal(1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("States.Nope()", "unknown function 'States.Nope'"),
        ("States.Format('a \\n')", "invalid escape '\\\\n'"),
        ("States.ArrayLength(1, 2)", "States.ArrayLength takes 1 argument\\(s\\), got 2"),
        ("States.Format()", "States.Format takes 1 or more argument\\(s\\), got 0"),
        ("States.MathRandom(1)", "States.MathRandom takes 2-3 argument\\(s\\), got 1"),
        ("States.Array('open", "unterminated string literal"),
        ("States.Array(1) x", "unexpected text after the closing"),
        ("States.Array(foo)", "expected a string, number, boolean, null, path or function call"),
    ],
)
def test_invalid_calls_are_refused_with_a_message_saying_what(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_intrinsic(text)
