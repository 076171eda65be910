"""CloudWatch alarm evaluation against the tables of the CloudWatch user guide, "How alarm state is
evaluated when data is missing" (alarms-and-missing-data.html), and its premature-alarm rule.

Rows are written as the guide writes them, oldest first: ``0`` within the threshold, ``X``
breaching, ``-`` missing; the evaluation range is 5 periods for 3 evaluation periods.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.ops.alarms.datapoint import Datapoint
from fleetops.ops.alarms.evaluation import (
    AlarmState,
    Evaluation,
    evaluate,
    evaluation_range,
)
from fleetops.spec.resources import Alarm

OK, ALARM, INSUFFICIENT = AlarmState.OK, AlarmState.ALARM, AlarmState.INSUFFICIENT_DATA
RETAIN = None
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


def alarm(m: int, n: int = 3, treat: str = "missing", **changes: object) -> Alarm:
    fields: dict[str, object] = {
        "metric": "HTTPCode_Target_5XX_Count",
        "statistic": "Sum",
        "period": timedelta(seconds=10),
        "evaluation_periods": n,
        "datapoints_to_alarm": m,
        "threshold": 5.0,
        "comparison": "GreaterThanThreshold",
        "treat_missing_data": treat,
    }
    return Alarm.model_validate(fields | changes)


def row(text: str) -> list[Datapoint]:
    """``"0 - X - X"`` as datapoints of 10 s periods from 12:00:00 (0 -> 1.0, X -> 7.0)."""
    values = {"0": 1.0, "X": 7.0, "-": None}
    start = int(T0.timestamp() * 1000)
    return [Datapoint(start + 10_000 * i, values[c]) for i, c in enumerate(text.split())]


def states(m: int, text: str) -> tuple[AlarmState | None, ...]:
    return tuple(evaluate(alarm(m, treat=t), row(text)).state for t in TREATMENTS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 - X - X", (OK, OK, OK, OK)),
        ("0 - - - -", (OK, OK, OK, OK)),
        ("- - - - -", (INSUFFICIENT, RETAIN, ALARM, OK)),
        ("0 X X - X", (ALARM, ALARM, ALARM, ALARM)),
        ("- - X - -", (ALARM, RETAIN, ALARM, OK)),
    ],
)
def test_the_guides_table_for_3_of_3(text: str, expected: tuple[AlarmState | None, ...]) -> None:
    assert states(3, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 - X - X", (ALARM, ALARM, ALARM, ALARM)),
        ("0 0 X 0 X", (ALARM, ALARM, ALARM, ALARM)),
        ("0 - X - -", (OK, OK, ALARM, OK)),
        ("- - - - 0", (OK, OK, ALARM, OK)),
        ("- - - X -", (ALARM, RETAIN, ALARM, OK)),
    ],
)
def test_the_guides_table_for_2_of_3(text: str, expected: tuple[AlarmState | None, ...]) -> None:
    assert states(2, text) == expected


@pytest.mark.parametrize("text", ["- - - - X", "- - - X -"])
def test_a_recent_breaching_datapoint_alone_does_not_alarm_prematurely(text: str) -> None:
    # "the alarm does not go immediately into ALARM state when the data is either - - - - X or
    # - - - X - and Datapoints to Alarm is 3"
    assert evaluate(alarm(3), row(text)).state == OK


def test_the_reason_lists_the_breaching_datapoints_with_their_period() -> None:
    result = evaluate(alarm(2), row("0 0 X 0 X"))
    assert result == Evaluation(
        ALARM,
        "Threshold Crossed: 2 out of the last 3 datapoints [7.0 (12:00:20), 7.0 (12:00:40)] "
        "were greater than the threshold (5.0)",
    )


def test_the_reason_of_ok_lists_the_datapoints_within_the_threshold() -> None:
    result = evaluate(alarm(2), row("X X 0 X 0"))
    assert result == Evaluation(
        OK,
        "Threshold Crossed: 2 out of the last 3 datapoints [1.0 (12:00:20), 1.0 (12:00:40)] "
        "were not greater than the threshold (5.0)",
    )


def test_the_reason_says_how_missing_datapoints_were_treated() -> None:
    assert evaluate(alarm(3, treat="notBreaching"), row("- - - - -")).reason == (
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints "
        "were treated as [NonBreaching]"
    )
    assert evaluate(alarm(2, treat="breaching"), row("- - - - 0")).reason == (
        "Threshold Crossed: 2 missing datapoints were treated as [Breaching]; 1 datapoint "
        "[1.0 (12:00:40)] was not greater than the threshold (5.0)"
    )
    assert evaluate(alarm(3, treat="breaching"), row("- - X - -")).reason == (
        "Threshold Crossed: 1 out of the last 1 datapoint [7.0 (12:00:20)] was greater than the "
        "threshold (5.0) and 2 missing datapoints were treated as [Breaching]"
    )
    assert evaluate(alarm(3), row("- - - - -")).reason == "Insufficient Data: 3 datapoints were unknown"


def test_a_premature_alarm_says_the_recent_periods_had_no_data() -> None:
    assert evaluate(alarm(3), row("- - X - -")).reason == (
        "Threshold Crossed: 1 out of the last 1 datapoint [7.0 (12:00:20)] was greater than the "
        "threshold (5.0) and 4 periods of the evaluation range had no data"
    )


@pytest.mark.parametrize(
    ("comparison", "value", "breaching"),
    [
        ("GreaterThanThreshold", 5.0, False),
        ("GreaterThanOrEqualToThreshold", 5.0, True),
        ("LessThanThreshold", 5.0, False),
        ("LessThanThreshold", 4.9, True),
        ("LessThanOrEqualToThreshold", 5.0, True),
    ],
)
def test_each_comparison_operator(comparison: str, value: float, breaching: bool) -> None:
    start = int(T0.timestamp() * 1000)
    result = evaluate(alarm(1, n=1, comparison=comparison), [Datapoint(start, value)] * 3)
    assert result.state == (ALARM if breaching else OK)


def test_the_evaluation_range_is_the_last_complete_periods_aligned_to_the_clock() -> None:
    now = int((T0 + timedelta(seconds=57, milliseconds=300)).timestamp() * 1000)
    starts = evaluation_range(alarm(2), now)
    assert [datetime.fromtimestamp(s / 1000, UTC).strftime("%H:%M:%S") for s in starts] == [
        "12:00:00",
        "12:00:10",
        "12:00:20",
        "12:00:30",
        "12:00:40",
    ]


def test_more_real_datapoints_than_needed_use_only_the_most_recent() -> None:
    # "If no data points in the evaluation range are missing ... The extra data points from
    # farther back in the evaluation range are not needed and are ignored."
    assert evaluate(alarm(2), row("X X 0 0 X")).state == OK
