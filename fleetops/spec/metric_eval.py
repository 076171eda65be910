"""Metric math (``spec.metric_math``) evaluated over datapoints on one period grid.

Every series here has one slot per period of the grid (``starts``), None where it has no
datapoint. The semantics are CloudWatch's documented ones ("Using metric math"):

- arithmetic between two time series is done per timestamp where either has a value, a missing
  value counting as 0 ("Missing values in a time series are treated as 0"); with a scalar, per
  datapoint of the series. A division by zero drops the datapoint (so Errors / Invocations has
  none where there were no invocations), as does a result that is not a finite number;
- comparisons and ``AND``/``OR`` give 1 or 0, a missing value on one side counting as 0;
- ``SUM``, ``AVG``, ``MIN``, ``MAX``, ``STDDEV`` (population) and ``DATAPOINT_COUNT`` of one series
  give a scalar over its datapoints, of an array a series per timestamp; ``AVG`` treats missing
  values as 0 as the documentation says, so of one series it is the sum over every period;
- ``IF(c, a, b)`` per timestamp of ``c``: ``a`` where ``c`` is not 0 (0 where ``a`` has no value),
  ``b`` otherwise (dropped where ``b`` has none or is omitted); dropped where ``c`` has none;
- ``FILL(s, v)`` fills the empty periods with a number, another series' value, ``REPEAT`` (the
  last value before; empty periods before the first value stay empty: nothing older is read) or
  ``LINEAR`` (between the values around it); ``DIFF``, ``RATE`` (per second) and ``RUNNING_SUM``
  over the datapoints; ``TIME_SERIES(x)`` fills every period; ``PERIOD(m)`` is the period in
  seconds; ``METRICS("text")`` is the array of metric queries whose id contains the text.

The final value of a returned query must be a series (or, for GetMetricData, an array of them).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from fleetops.spec.metric_math import (
    Array,
    Binary,
    Call,
    Expr,
    Keyword,
    MathError,
    Number,
    Ref,
    Text,
    Unary,
    evaluation_order,
)

Points = tuple[float | None, ...]


@dataclass(frozen=True)
class Scalar:
    value: float | None
    """None: no value (an aggregate of a series without datapoints, a division by zero)."""


@dataclass(frozen=True)
class Series:
    points: Points
    label: str = ""


@dataclass(frozen=True)
class SeriesArray:
    items: tuple[Series, ...]


Value = Scalar | Series | SeriesArray


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _arith(op: str, a: float, b: float) -> float | None:
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return None if b == 0 else a / b
        if op == "^":
            result = a**b
            return None if isinstance(result, complex) else _finite(float(result))
        if op == "==":
            return float(a == b)
        if op == "!=":
            return float(a != b)
        if op == "<=":
            return float(a <= b)
        if op == ">=":
            return float(a >= b)
        if op == "<":
            return float(a < b)
        if op == ">":
            return float(a > b)
        if op == "AND":
            return float(a != 0 and b != 0)
        return float(a != 0 or b != 0)  # OR
    except (OverflowError, ZeroDivisionError):
        return None


class _Evaluator:
    def __init__(
        self, starts: Sequence[int], period_s: float, values: dict[str, Value], metric_ids: list[str]
    ) -> None:
        self.starts = starts
        self.period_s = period_s
        self.values = values
        self.metric_ids = metric_ids

    def eval(self, expr: Expr) -> Value:
        if isinstance(expr, Number):
            return Scalar(expr.value)
        if isinstance(expr, Ref):
            return self.values[expr.id]
        if isinstance(expr, Array):
            items: list[Series] = []
            for item in expr.items:
                value = self.eval(item)
                if isinstance(value, Series):
                    items.append(value)
                elif isinstance(value, SeriesArray):
                    items.extend(value.items)
                else:
                    raise MathError("an array holds time series, not single numbers")
            return SeriesArray(tuple(items))
        if isinstance(expr, Unary):
            return self.map(self.eval(expr.operand), lambda v: -v, "-")
        if isinstance(expr, Binary):
            return self.binary(expr.op, self.eval(expr.left), self.eval(expr.right), expr.column)
        if isinstance(expr, Call):
            return self.call(expr)
        if isinstance(expr, Text):
            raise MathError(f'"{expr.text}": text is only an argument of METRICS')
        raise MathError(f"{expr.word} is only an argument of FILL")

    def map(self, value: Value, fn: Callable[[float], float | None], name: str) -> Value:
        if isinstance(value, Scalar):
            return Scalar(None if value.value is None else _finite(fn(value.value)))
        if isinstance(value, Series):
            return _map_series(value, fn)
        return SeriesArray(tuple(_map_series(s, fn) for s in value.items))

    def binary(self, op: str, left: Value, right: Value, column: int) -> Value:
        if isinstance(left, SeriesArray) and isinstance(right, SeriesArray):
            raise MathError(f"{op} between two arrays of time series is not defined", column)
        if isinstance(left, SeriesArray):
            assert not isinstance(right, SeriesArray)
            return SeriesArray(tuple(_series_pair(op, s, right, series_left=True) for s in left.items))
        if isinstance(right, SeriesArray):
            return SeriesArray(tuple(_series_pair(op, s, left, series_left=False) for s in right.items))
        if isinstance(left, Scalar) and isinstance(right, Scalar):
            if left.value is None or right.value is None:
                return Scalar(None)
            return Scalar(_arith(op, left.value, right.value))
        if isinstance(left, Series):
            return _series_pair(op, left, right, series_left=True)
        assert isinstance(right, Series)
        return _series_pair(op, right, left, series_left=False)

    def series_arg(self, call: Call, index: int) -> Series:
        value = self.eval(call.args[index])
        if not isinstance(value, Series):
            raise MathError(f"{call.name} takes a time series as argument {index + 1}", call.column)
        return value

    def call(self, call: Call) -> Value:
        name = call.name
        if name == "METRICS":
            text = ""
            if call.args:
                arg = call.args[0]
                if not isinstance(arg, Text):
                    raise MathError('METRICS takes a text in double quotes: METRICS("errors")', call.column)
                text = arg.text
            chosen = [self.values[m] for m in self.metric_ids if text in m]
            return SeriesArray(tuple(s for s in chosen if isinstance(s, Series)))
        if name in ("ABS", "CEIL", "FLOOR", "LOG", "LOG10"):
            fns: dict[str, Callable[[float], float | None]] = {
                "ABS": abs,
                "CEIL": lambda v: float(math.ceil(v)),
                "FLOOR": lambda v: float(math.floor(v)),
                "LOG": lambda v: math.log(v) if v > 0 else None,
                "LOG10": lambda v: math.log10(v) if v > 0 else None,
            }
            return self.map(self.eval(call.args[0]), fns[name], name)
        if name in ("SUM", "AVG", "MIN", "MAX", "STDDEV", "DATAPOINT_COUNT"):
            return self.aggregate(call)
        if name == "METRIC_COUNT":
            value = self.eval(call.args[0])
            if not isinstance(value, SeriesArray):
                raise MathError("METRIC_COUNT takes an array of time series", call.column)
            return Scalar(float(len(value.items)))
        if name in ("FIRST", "LAST"):
            value = self.eval(call.args[0])
            if not isinstance(value, SeriesArray):
                raise MathError(f"{name} takes an array of time series", call.column)
            if not value.items:
                return Series(tuple(None for _ in self.starts))
            return value.items[0 if name == "FIRST" else -1]
        if name == "IF":
            return self.if_(call)
        if name == "FILL":
            return self.fill(call)
        if name in ("DIFF", "RATE", "RUNNING_SUM"):
            return self.along(call)
        if name == "TIME_SERIES":
            value = self.eval(call.args[0])
            if not isinstance(value, Scalar):
                raise MathError("TIME_SERIES takes a single number", call.column)
            return Series(tuple(value.value for _ in self.starts))
        # PERIOD
        self.series_arg(call, 0)
        return Scalar(float(self.period_s))

    def aggregate(self, call: Call) -> Value:
        name = call.name
        value = self.eval(call.args[0])

        def over(values: list[float], slots: int) -> float | None:
            if name == "DATAPOINT_COUNT":
                return float(len(values))
            if not values:
                return None
            if name == "SUM":
                return math.fsum(values)
            if name == "AVG":
                return math.fsum(values) / slots
            if name == "MIN":
                return min(values)
            if name == "MAX":
                return max(values)
            return statistics.pstdev(values)

        if isinstance(value, Series):
            present = [v for v in value.points if v is not None]
            return Scalar(over(present, len(value.points)))
        if isinstance(value, SeriesArray):
            points: list[float | None] = []
            for index in range(len(self.starts)):
                present = [v for s in value.items if (v := s.points[index]) is not None]
                points.append(over(present, len(value.items)) if present else None)
            return Series(tuple(points))
        raise MathError(f"{name} takes a time series or an array of them", call.column)

    def if_(self, call: Call) -> Value:
        condition = self.eval(call.args[0])
        then = self.eval(call.args[1])
        otherwise = self.eval(call.args[2]) if len(call.args) == 3 else None
        if isinstance(condition, Scalar):
            if condition.value is not None and condition.value != 0:
                return then
            return otherwise if otherwise is not None else Series(tuple(None for _ in self.starts))
        if not isinstance(condition, Series):
            raise MathError("IF takes a time series or a single number as its condition", call.column)
        for branch in (then, otherwise):
            if isinstance(branch, SeriesArray):
                raise MathError("IF takes time series or single numbers, not arrays", call.column)
        out: list[float | None] = []
        for index, c in enumerate(condition.points):
            if c is None:
                out.append(None)
            elif c != 0:
                out.append(_at(then, index, missing=0.0))
            else:
                out.append(None if otherwise is None else _at(otherwise, index, missing=None))
        return Series(tuple(out), condition.label)

    def fill(self, call: Call) -> Value:
        target = self.eval(call.args[0])
        how = call.args[1]
        if isinstance(target, SeriesArray):
            return SeriesArray(tuple(self._fill(s, how, call) for s in target.items))
        if not isinstance(target, Series):
            raise MathError("FILL takes a time series or an array of them", call.column)
        return self._fill(target, how, call)

    def _fill(self, series: Series, how: Expr, call: Call) -> Series:
        points = list(series.points)
        if isinstance(how, Keyword):
            known = [(i, v) for i, v in enumerate(points) if v is not None]
            if how.word == "REPEAT":
                last: float | None = None
                for i, v in enumerate(points):
                    if v is None:
                        points[i] = last
                    else:
                        last = v
            else:  # LINEAR, between the datapoints around each gap
                for (i, a), (j, b) in itertools.pairwise(known):
                    for k in range(i + 1, j):
                        points[k] = a + (b - a) * (k - i) / (j - i)
            return Series(tuple(points), series.label)
        filler = self.eval(how)
        if isinstance(filler, SeriesArray):
            raise MathError("FILL fills with a number, a time series, REPEAT or LINEAR", call.column)
        return Series(
            tuple(v if v is not None else _at(filler, i, missing=None) for i, v in enumerate(points)),
            series.label,
        )

    def along(self, call: Call) -> Value:
        value = self.eval(call.args[0])
        if isinstance(value, SeriesArray):
            return SeriesArray(tuple(self._along(call.name, s) for s in value.items))
        if not isinstance(value, Series):
            raise MathError(f"{call.name} takes a time series or an array of them", call.column)
        return self._along(call.name, value)

    def _along(self, name: str, series: Series) -> Series:
        out: list[float | None] = [None] * len(series.points)
        previous: tuple[int, float] | None = None
        total = 0.0
        for i, v in enumerate(series.points):
            if v is None:
                continue
            if name == "RUNNING_SUM":
                total += v
                out[i] = total
            elif previous is not None:
                diff = v - previous[1]
                seconds = (self.starts[i] - self.starts[previous[0]]) / 1000
                out[i] = diff if name == "DIFF" else diff / seconds
            previous = (i, v)
        return Series(tuple(out), series.label)


def _map_series(series: Series, fn: Callable[[float], float | None]) -> Series:
    return Series(tuple(None if v is None else _finite(fn(v)) for v in series.points), series.label)


def _series_pair(op: str, series: Series, other: Scalar | Series, *, series_left: bool) -> Series:
    """``series op other`` (``other op series`` when not ``series_left``), per timestamp."""
    out: list[float | None] = []
    if isinstance(other, Series):
        for a, b in zip(series.points, other.points, strict=True):
            if a is None and b is None:
                out.append(None)
            else:  # the missing one counts as 0
                x, y = (a or 0.0, b or 0.0) if series_left else (b or 0.0, a or 0.0)
                out.append(_arith(op, x, y))
        return Series(tuple(out), series.label)
    c = other.value
    for v in series.points:
        if v is None or c is None:
            out.append(None)
        else:
            out.append(_arith(op, v, c) if series_left else _arith(op, c, v))
    return Series(tuple(out), series.label)


def _at(value: Value, index: int, *, missing: float | None) -> float | None:
    if isinstance(value, Scalar):
        return value.value
    if isinstance(value, Series):
        point = value.points[index]
        return missing if point is None else point
    raise MathError("an array of time series cannot be used here")


def evaluate(
    expressions: Mapping[str, Expr],
    metrics: Mapping[str, Sequence[float | None]],
    *,
    starts: Sequence[int],
    period_s: float,
) -> dict[str, Value]:
    """The value of every query: ``metrics`` (id -> one value or None per period of ``starts``,
    in the request's order) and ``expressions`` evaluated after the ids they name. ``MathError``
    for an unknown id, a cycle, or an argument of the wrong kind."""
    metric_ids = list(metrics)
    values: dict[str, Value] = {qid: Series(tuple(points), qid) for qid, points in metrics.items()}
    evaluator = _Evaluator(starts, period_s, values, metric_ids)
    for qid in evaluation_order(expressions, metric_ids):
        if qid in expressions:
            try:
                values[qid] = evaluator.eval(expressions[qid])
            except MathError as err:
                raise MathError(f"query {qid}: {err}") from err
    return values


def check_types(
    expressions: Mapping[str, Expr], metric_ids: Sequence[str], returned: Sequence[str]
) -> dict[str, Value]:
    """Evaluate on a two-period sample (every metric 1, 2) so that an argument of the wrong kind
    or a returned query that is a single number is found before any data is read."""
    sample = dict.fromkeys(metric_ids, (1.0, 2.0))
    values = evaluate(expressions, sample, starts=[0, 60_000], period_s=60)
    for qid in returned:
        if isinstance(values[qid], Scalar):
            raise MathError(
                f"query {qid}: its result is a single number; a returned query must give a time series "
                "(m1 - AVG(m1), not AVG(m1))"
            )
    return values
