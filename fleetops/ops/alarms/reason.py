"""State reasons worded as CloudWatch words them (``StateReason`` of ``describe-alarms``).

    Threshold Crossed: 2 out of the last 3 datapoints [7.0 (12:00:10), 6.0 (12:00:20)] were
    greater than the threshold (5.0)
    Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were
    treated as [NonBreaching]
    Insufficient Data: 3 datapoints were unknown

Datapoints are listed oldest first, each with the start of its period (UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from fleetops.ops.alarms.datapoint import Datapoint
from fleetops.spec.resources import Alarm, Comparison

_WORDS = {
    Comparison.GT: "greater than",
    Comparison.GE: "greater than or equal to",
    Comparison.LT: "less than",
    Comparison.LE: "less than or equal to",
}


def number(value: float) -> str:
    """A value as CloudWatch shows it: ``5.0``, ``0.25``."""
    return repr(float(round(value, 6)))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def _listed(points: Sequence[Datapoint]) -> str:
    shown = (
        f"{number(p.value)} ({datetime.fromtimestamp(p.start_ms / 1000, UTC):%H:%M:%S})"
        for p in points
        if p.value is not None
    )
    return "[" + ", ".join(shown) + "]"


def crossed(
    alarm: Alarm,
    points: Sequence[Datapoint],
    out_of: int,
    *,
    within: bool = False,
    filled: tuple[int, bool] | None = None,
) -> str:
    """``points`` (out of the last ``out_of``) were beyond the threshold, or ``within`` it;
    ``filled``: (how many missing datapoints were filled, whether as breaching)."""
    words = ("not " if within else "") + _WORDS[alarm.comparison]
    text = (
        f"Threshold Crossed: {len(points)} out of the last {_plural(out_of, 'datapoint')} "
        f"{_listed(points)} {_was(len(points))} {words} the threshold ({number(alarm.threshold)})"
    )
    if filled is not None and filled[0] > 0:
        count, breaching = filled
        kind = "Breaching" if breaching else "NonBreaching"
        text += f" and {_plural(count, 'missing datapoint')} {_was(count)} treated as [{kind}]"
    return text


def filled_as_breaching(alarm: Alarm, within: Sequence[Datapoint], filled: int) -> str:
    """ALARM only because missing datapoints were filled as breaching."""
    return (
        f"Threshold Crossed: {_plural(filled, 'missing datapoint')} {_was(filled)} treated as "
        f"[Breaching]; {_plural(len(within), 'datapoint')} {_listed(within)} {_was(len(within))} "
        f"not {_WORDS[alarm.comparison]} the threshold ({number(alarm.threshold)})"
    )


def premature(alarm: Alarm, points: Sequence[Datapoint], evaluated: Sequence[Datapoint]) -> str:
    """ALARM by the premature-alarm rule: every real datapoint of the range breaches, the oldest
    is old enough, and the periods after it have no data."""
    missing = sum(1 for p in evaluated if p.value is None)
    return (
        f"Threshold Crossed: {len(points)} out of the last {_plural(len(points), 'datapoint')} "
        f"{_listed(points)} {_was(len(points))} {_WORDS[alarm.comparison]} the threshold "
        f"({number(alarm.threshold)}) and {_plural(missing, 'period')} of the evaluation range "
        f"had no data"
    )


def no_data(periods: int, *, breaching: bool) -> str:
    """No datapoint in the range; the missing ones were filled as (not) breaching."""
    kind = "Breaching" if breaching else "NonBreaching"
    return (
        f"Threshold Crossed: no datapoints were received for {_plural(periods, 'period')} and "
        f"{_plural(periods, 'missing datapoint')} {_was(periods)} treated as [{kind}]"
    )


def insufficient(periods: int) -> str:
    """No datapoint in the range, treated as missing."""
    return f"Insufficient Data: {_plural(periods, 'datapoint')} {_was(periods)} unknown"
