"""CloudWatch metric-alarm evaluation, pure: datapoints in, a state and its reason out.

It follows "How alarm state is evaluated when data is missing" and "Avoiding premature
transitions to alarm state" in the CloudWatch user guide
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):

- Datapoints are the statistic of the metric over periods aligned to the clock; only complete
  periods count. "CloudWatch attempts to retrieve a higher number of data points than the number
  specified as Evaluation Periods ... the evaluation range": its size is unpublished; the guide's
  worked examples use 5 for 3 evaluation periods, so the range here is N + 2 periods.
- "If no data points in the evaluation range are missing, CloudWatch evaluates the alarm based
  on the most recent data points collected"; if some are missing but at least N are real, "the
  most recent real data points", and the missing-data treatment is not used. The alarm is in
  ALARM when at least M (datapoints to alarm) of those N breach, OK otherwise.
- With fewer than N real datapoints, "CloudWatch fills in the missing data points with the result
  you specified for how to treat missing data ... all real data points in the evaluation range are
  included": ``breaching`` fills count as breaching, ``notBreaching`` as not; with ``missing``
  and ``ignore`` only the real ones count. With no real datapoint at all: ``missing`` ->
  INSUFFICIENT_DATA, ``ignore`` -> "Retain current state", ``breaching`` -> ALARM,
  ``notBreaching`` -> OK.
- Premature alarm: "if the oldest breaching data point during the evaluation range is at least as
  old as the value of Datapoints to Alarm, and all of the more recent data points are either
  breaching or missing, the alarm goes into ALARM state" even with fewer than M real datapoints
  (``missing``; the guide's tables show ``ignore`` retaining the state instead). The guide's 2 of 3
  row ``0 - X - -`` stays OK although its breaching point is old enough: so the rule applies only
  when no real datapoint in the range is within the threshold.

Every row of the guide's two tables is a test case (tests/ops/alarms/test_evaluation.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from fleetops.ops.alarms import reason
from fleetops.ops.alarms.datapoint import Datapoint
from fleetops.spec.resources import Alarm, Comparison, MissingData

EXTRA_PERIODS = 2
"""Periods the evaluation range reaches back beyond the N evaluation periods."""


class AlarmState(StrEnum):
    """The three states of a metric alarm."""

    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one evaluation: the new state, or None to keep the current one."""

    state: AlarmState | None
    reason: str


def period_ms(alarm: Alarm) -> int:
    """The alarm's period in milliseconds."""
    return round(alarm.period.total_seconds() * 1000)


def range_periods(alarm: Alarm) -> int:
    """How many periods the evaluation range holds."""
    return alarm.evaluation_periods + EXTRA_PERIODS


def evaluation_range(alarm: Alarm, now_ms: int) -> list[int]:
    """Starts (epoch ms) of the periods of the evaluation range at ``now_ms``, oldest first: the
    last complete ones (the period ``now_ms`` is in has not ended, so it is not evaluated)."""
    period = period_ms(alarm)
    current = now_ms // period * period
    return [current - period * back for back in range(range_periods(alarm), 0, -1)]


def breaches(alarm: Alarm, value: float) -> bool:
    """Whether ``value`` is beyond the threshold (on the wrong side of the comparison)."""
    if alarm.comparison is Comparison.GT:
        return value > alarm.threshold
    if alarm.comparison is Comparison.GE:
        return value >= alarm.threshold
    if alarm.comparison is Comparison.LT:
        return value < alarm.threshold
    return value <= alarm.threshold


def evaluate(alarm: Alarm, points: Sequence[Datapoint]) -> Evaluation:
    """The alarm's state over ``points``, its evaluation range (oldest first, one per period)."""
    m, n = alarm.m_of_n
    real = [p for p in points if p.value is not None]
    bad = [p for p in real if _breaching(alarm, p)]
    if len(real) >= n:
        used = real[-n:]
        bad = [p for p in used if _breaching(alarm, p)]
        if len(bad) >= m:
            return Evaluation(AlarmState.ALARM, reason.crossed(alarm, bad, n))
        good = [p for p in used if not _breaching(alarm, p)]
        return Evaluation(AlarmState.OK, reason.crossed(alarm, good, n, within=True))
    fill = n - len(real)
    treatment = alarm.treat_missing_data
    if not real:
        return _all_missing(treatment, n)
    if treatment is MissingData.BREACHING:
        good = [p for p in real if not _breaching(alarm, p)]
        if len(bad) + fill >= m:
            text = (
                reason.crossed(alarm, bad, len(real), filled=(fill, True))
                if bad
                else reason.filled_as_breaching(alarm, good, fill)
            )
            return Evaluation(AlarmState.ALARM, text)
        text = reason.crossed(alarm, good, len(real), within=True, filled=(fill, True))
        return Evaluation(AlarmState.OK, text)
    filled = (fill, False) if treatment is MissingData.NOT_BREACHING else None
    if len(bad) >= m:
        return Evaluation(AlarmState.ALARM, reason.crossed(alarm, bad, len(real), filled=filled))
    if treatment in (MissingData.MISSING, MissingData.IGNORE) and _premature(points, bad, real, m):
        if treatment is MissingData.IGNORE:
            return Evaluation(None, "Retained: the recent periods have no data (treat missing data: ignore).")
        return Evaluation(AlarmState.ALARM, reason.premature(alarm, bad, points))
    good = [p for p in real if not _breaching(alarm, p)]
    return Evaluation(AlarmState.OK, reason.crossed(alarm, good, len(real), within=True, filled=filled))


def _breaching(alarm: Alarm, point: Datapoint) -> bool:
    return point.value is not None and breaches(alarm, point.value)


def _all_missing(treatment: MissingData, n: int) -> Evaluation:
    if treatment is MissingData.MISSING:
        return Evaluation(AlarmState.INSUFFICIENT_DATA, reason.insufficient(n))
    if treatment is MissingData.IGNORE:
        return Evaluation(None, "Retained: no datapoint in the evaluation range (missing data: ignore).")
    state = AlarmState.ALARM if treatment is MissingData.BREACHING else AlarmState.OK
    return Evaluation(state, reason.no_data(n, breaching=treatment is MissingData.BREACHING))


def _premature(
    points: Sequence[Datapoint], bad: Sequence[Datapoint], real: Sequence[Datapoint], m: int
) -> bool:
    if len(bad) != len(real):  # a real datapoint within the threshold: the rule does not apply
        return False
    oldest = next(i for i, point in enumerate(points) if point.value is not None)
    return len(points) - oldest >= m  # its age in periods, counting the newest period as 1
