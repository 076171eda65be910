"""Composite alarm evaluation and actions suppression (ActionsSuppressor, WaitPeriod,
ExtensionPeriod), stepped on a hand-moved clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.ops.alarms.composite import CompositeStatus, combined, new_status, step
from fleetops.spec.resources import CompositeAlarm

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SUPPRESSED = CompositeAlarm(
    rule="ALARM(errors)",
    actions_suppressor="maintenance",
    wait_period=timedelta(seconds=60),
    extension_period=timedelta(seconds=120),
)


def _run(
    composite: CompositeAlarm, timeline: list[tuple[int, str, str]]
) -> list[tuple[int, str, str | None, bool]]:
    """Step at each (second, errors' state, suppressor's state); (second, state, suppressed_by, act)."""
    status: CompositeStatus = new_status("main", composite, T0)
    out = []
    for second, errors, maintenance in timeline:
        done = step(status, {"errors": errors, "maintenance": maintenance}, T0 + timedelta(seconds=second))
        status = done.status
        out.append((second, status.state.value, status.suppressed_by, done.act))
    return out


def test_without_a_suppressor_actions_run_on_each_change_into_alarm_and_back() -> None:
    plain = CompositeAlarm(rule="ALARM(errors)")
    assert _run(plain, [(0, "OK", "OK"), (10, "ALARM", "OK"), (20, "ALARM", "OK"), (30, "OK", "OK")]) == [
        (0, "OK", None, False),  # INSUFFICIENT_DATA -> OK: nothing to tell
        (10, "ALARM", None, True),
        (20, "ALARM", None, False),
        (30, "OK", None, True),
    ]


def test_the_wait_period_holds_actions_until_it_ends() -> None:
    assert _run(
        SUPPRESSED, [(0, "ALARM", "OK"), (59, "ALARM", "OK"), (60, "ALARM", "OK"), (70, "ALARM", "OK")]
    ) == [
        (0, "ALARM", "WaitPeriod", False),
        (59, "ALARM", "WaitPeriod", False),
        (60, "ALARM", None, True),
        (70, "ALARM", None, False),
    ]


def test_the_suppressor_going_into_alarm_within_the_wait_suppresses_then_the_extension_runs() -> None:
    timeline = [
        (0, "ALARM", "OK"),
        (30, "ALARM", "ALARM"),
        (100, "ALARM", "ALARM"),
        (110, "ALARM", "OK"),
        (229, "ALARM", "OK"),
        (230, "ALARM", "OK"),
    ]
    assert _run(SUPPRESSED, timeline) == [
        (0, "ALARM", "WaitPeriod", False),
        (30, "ALARM", "Alarm", False),
        (100, "ALARM", "Alarm", False),
        (110, "ALARM", "ExtensionPeriod", False),
        (229, "ALARM", "ExtensionPeriod", False),
        (230, "ALARM", None, True),
    ]


def test_going_into_alarm_while_the_suppressor_is_in_alarm_and_clearing_before_it_ends() -> None:
    timeline = [(0, "ALARM", "ALARM"), (50, "OK", "ALARM"), (60, "OK", "OK"), (300, "OK", "OK")]
    assert _run(SUPPRESSED, timeline) == [
        (0, "ALARM", "Alarm", False),
        # Held ALARM actions are dropped, and no OK is sent for an ALARM nobody was told of.
        (50, "OK", None, False),
        (60, "OK", None, False),
        (300, "OK", None, False),
    ]


def test_the_suppressor_back_in_alarm_during_the_extension_holds_again() -> None:
    timeline = [
        (0, "ALARM", "ALARM"),
        (10, "ALARM", "OK"),
        (20, "ALARM", "ALARM"),
        (30, "ALARM", "OK"),
        (150, "ALARM", "OK"),
    ]
    assert _run(SUPPRESSED, timeline) == [
        (0, "ALARM", "Alarm", False),
        (10, "ALARM", "ExtensionPeriod", False),
        (20, "ALARM", "Alarm", False),
        (30, "ALARM", "ExtensionPeriod", False),
        (150, "ALARM", None, True),
    ]


def test_zero_periods_act_at_once() -> None:
    quick = SUPPRESSED.model_copy(update={"wait_period": timedelta(0), "extension_period": timedelta(0)})
    assert _run(
        quick, [(0, "ALARM", "OK"), (10, "OK", "OK"), (20, "ALARM", "ALARM"), (30, "ALARM", "OK")]
    ) == [
        (0, "ALARM", None, True),
        (10, "OK", None, True),
        (20, "ALARM", "Alarm", False),
        (30, "ALARM", None, True),
    ]


def test_the_reason_names_the_rule_and_each_alarms_state() -> None:
    done = step(new_status("main", SUPPRESSED, T0), {"errors": "ALARM", "maintenance": "OK"}, T0)
    assert done.status.reason == "Rule TRUE: ALARM(errors) (errors is ALARM)"


def test_an_alarm_of_several_targets_is_in_alarm_when_one_is() -> None:
    assert [
        combined(["OK", "ALARM", "INSUFFICIENT_DATA"]),
        combined(["OK", "INSUFFICIENT_DATA"]),
        combined(["OK", "OK"]),
        combined([]),
    ] == ["ALARM", "INSUFFICIENT_DATA", "OK", "INSUFFICIENT_DATA"]
