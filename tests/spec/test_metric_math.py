"""Metric math: expressions evaluated with CloudWatch's documented semantics (the examples of
"Using metric math" among them), and the checks PutMetricAlarm makes of an alarm's ``metrics``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from fleetops.errors import BadInput
from fleetops.spec.loader import load_fleet_text
from fleetops.spec.metric_eval import Scalar, Series, SeriesArray, evaluate
from fleetops.spec.metric_math import MathError, parse_expression

_ = None  # a period without a datapoint
STARTS = [minute * 60_000 for minute in range(8)]


def run(expression: str, **metrics: Sequence[float | None]) -> object:
    value = evaluate(
        {"e": parse_expression(expression)}, metrics, starts=STARTS[: _length(metrics)], period_s=60
    )["e"]
    if isinstance(value, Series):
        return list(value.points)
    if isinstance(value, SeriesArray):
        return [list(s.points) for s in value.items]
    assert isinstance(value, Scalar)
    return value.value


def _length(metrics: Mapping[str, Sequence[float | None]]) -> int:
    return len(next(iter(metrics.values())))


@pytest.mark.parametrize(
    ("expression", "metrics", "expected"),
    [
        # Seed 001's handler error rate: no datapoint where a division by zero would be.
        (
            "errors / invocations * 100",
            {"errors": [1, 0, 2, _], "invocations": [4, 0, _, _]},
            [25.0, _, _, _],
        ),
        # Missing values are treated as 0 against another series' datapoint.
        ("m1 + m2", {"m1": [1, _, 3, _], "m2": [10, 20, _, _]}, [11.0, 20.0, 3.0, _]),
        ("m1 - m2", {"m1": [1, _], "m2": [_, 5]}, [1.0, -5.0]),
        # With a scalar, per datapoint of the series; a gap stays a gap.
        ("5 * m1", {"m1": [1, _, 3]}, [5.0, _, 15.0]),
        ("100 / m1", {"m1": [4, 0, _]}, [25.0, _, _]),
        ("-m1 ^ 2", {"m1": [3, _]}, [-9.0, _]),
        ("2 ^ 3 ^ 2 + 0 * m1", {"m1": [0]}, [512.0]),
        ("m1 - AVG(m1)", {"m1": [1, 3, _, 4]}, [-1.0, 1.0, _, 2.0]),
        # AVG treats missing values as 0 (2 over 4 periods), DATAPOINT_COUNT counts datapoints.
        ("AVG(m1)", {"m1": [2, 4, _, 2]}, 2.0),
        ("SUM(m1) / DATAPOINT_COUNT(m1)", {"m1": [2, 4, _, 2]}, 8 / 3),
        ("MIN(m1) + MAX(m1)", {"m1": [2, 7, _]}, 9.0),
        ("STDDEV(m1)", {"m1": [2, 4, 4, 4, 5, 5, 7, 9]}, 2.0),
        ("SUM(m1)", {"m1": [_, _]}, _),
        # Of an array: one series, a timestamp with no datapoint in any stays empty.
        ("SUM([m1, m2])", {"m1": [1, _, _], "m2": [2, 5, _]}, [3.0, 5.0, _]),
        ("AVG([m1, m2])", {"m1": [1, _], "m2": [3, 4]}, [2.0, 2.0]),
        ("MAX(METRICS())", {"m1": [1, 9], "m2": [3, 4]}, [3.0, 9.0]),
        ('SUM(METRICS("err"))', {"err4": [1, 2], "err5": [1, _], "requests": [100, 100]}, [2.0, 2.0]),
        ("METRICS() * 100", {"m1": [1, _], "m2": [_, 2]}, [[100.0, _], [_, 200.0]]),
        ("METRIC_COUNT(METRICS()) + 0 * m1", {"m1": [0], "m2": [_]}, [2.0]),
        ("FIRST([m2, m1]) + LAST([m2, m1])", {"m1": [1], "m2": [10]}, [11.0]),
        # The documentation's comparison examples: metric1 [30, 20, 0, 0], metric2 [20, -, 20, -].
        ("metric1 < metric2", {"metric1": [30, 20, 0, 0], "metric2": [20, _, 20, _]}, [0.0, 0.0, 1.0, 0.0]),
        ("metric1 >= 30", {"metric1": [30, 20, 0, 0]}, [1.0, 0.0, 0.0, 0.0]),
        (
            "metric1 > 15 AND metric2 > 15",
            {"metric1": [30, 20, 0, 0], "metric2": [20, _, 20, _]},
            [1.0, 0.0, 0.0, 0.0],
        ),
        ("m1 == 1 || m1 != 1 && 0 * m1", {"m1": [1, 2]}, [1.0, 0.0]),
        # The documentation's IF tables.
        (
            "IF(metric1, metric2, metric3)",
            {"metric1": [1, 1, 0, 0, _], "metric2": [30, _, 0, 0, 30], "metric3": [0, 0, 20, _, 20]},
            [30.0, 0.0, 20.0, _, _],
        ),
        (
            "IF(metric1, 5, metric3)",
            {"metric1": [1, 1, 0, 0, _], "metric3": [0, 0, 20, _, 20]},
            [5.0, 5.0, 20.0, _, _],
        ),
        (
            "IF(metric1, metric2, 5)",
            {"metric1": [1, 1, 0, 0, _], "metric2": [30, _, 0, 0, 30]},
            [30.0, 0.0, 5.0, 5.0, _],
        ),
        ("IF(m1 < 400, m1)", {"m1": [100, 500, _]}, [100.0, _, _]),
        ("IF(1, m1, m2)", {"m1": [1, 2], "m2": [3, 4]}, [1.0, 2.0]),
        ("IF(0, m1)", {"m1": [1, 2]}, [_, _]),
        # FILL with a number, another series, REPEAT and LINEAR.
        ("FILL(m1, 0)", {"m1": [_, 1, _, 3]}, [0.0, 1.0, 0.0, 3.0]),
        ("FILL(m1, m2)", {"m1": [_, 1, _], "m2": [7, 8, _]}, [7.0, 1.0, _]),
        ("FILL(m1, REPEAT)", {"m1": [_, 1, _, _, 4]}, [_, 1.0, 1.0, 1.0, 4.0]),
        ("FILL(m1, LINEAR)", {"m1": [_, 1, _, _, 4]}, [_, 1.0, 2.0, 3.0, 4.0]),
        ("FILL(m1, MIN(m1))", {"m1": [_, 5, 2]}, [2.0, 5.0, 2.0]),
        # Along the datapoints.
        ("DIFF(m1)", {"m1": [1, _, 4, 10]}, [_, _, 3.0, 6.0]),
        ("RATE(m1)", {"m1": [0, _, 120]}, [_, _, 1.0]),
        ("RUNNING_SUM(m1)", {"m1": [1, _, 2, 3]}, [1.0, _, 3.0, 6.0]),
        ("TIME_SERIES(MAX(m1))", {"m1": [1, _, 3]}, [3.0, 3.0, 3.0]),
        ("m1 / PERIOD(m1)", {"m1": [120, _]}, [2.0, _]),
        ("ABS(m1 - m2)", {"m1": [1, _], "m2": [4, _]}, [3.0, _]),
        ("CEIL(m1) + FLOOR(m1)", {"m1": [1.5, -1.5]}, [3.0, -3.0]),
        ("LOG10(m1)", {"m1": [1000, 0, -1]}, [3.0, _, _]),
    ],
)
def test_expressions_evaluate_as_cloudwatch_documents(
    expression: str, metrics: dict[str, list[float | None]], expected: object
) -> None:
    assert run(expression, **metrics) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("m1 +", "column 5: expected a number, an id, a function or '(', found the end of the expression"),
        ("SUMM(m1)", "column 1: unknown function SUMM (known: ABS, AVG,"),
        ('SEARCH("x")', "column 1: SEARCH is a CloudWatch function fleetops does not evaluate"),
        ("IF(m1)", "column 1: IF takes 2 to 3 arguments, got 1"),
        ("(m1 + m2", "column 9: expected ')' to close the '(', found the end of the expression"),
        ("m1 $ 2", "column 4: unexpected '$'"),
        ("Errors / m1", "column 1: unknown function Errors"),
        ("(" * 60 + "m1" + ")" * 60, "column 51: nested more than 50 deep"),
        ("-" * 60 + "m1", "column 51: nested more than 50 deep"),
        ("m1" + " + 1" * 100, "more than 100 operations inside one another: split it into queries"),
    ],
)
def test_a_mistake_names_its_column(expression: str, message: str) -> None:
    with pytest.raises(MathError) as caught:
        parse_expression(expression)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("FILL(5, 0)", "query e: column 1: FILL takes a time series or an array of them"),
        ("[m1, m1] + [m1]", "query e: column 10: + between two arrays of time series is not defined"),
        ("[1, m1]", "query e: an array holds time series, not single numbers"),
    ],
)
def test_an_argument_of_the_wrong_kind_is_refused(expression: str, message: str) -> None:
    with pytest.raises(MathError, match="^" + message.replace("[", r"\[").replace("+", r"\+") + "$"):
        run(expression, m1=[1.0])


FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  menu: {run: {command: "{python} menu.py"}}
alarms:
  rate:
    period: 5m
    threshold: 50
    metrics: METRICS
"""
ERRORS = "{id: errors, return_data: false, metric_stat: {namespace: fleetops/Deployments, metric: TaskHandlerErrors, stat: Sum}}"  # noqa: E501
CALLS = "{id: calls, return_data: false, metric_stat: {namespace: fleetops/Deployments, metric: TaskHandlerInvocations, stat: Sum}}"  # noqa: E501


def _load(metrics: str, extra: str = "") -> None:
    load_fleet_text(FLEET.replace("METRICS", metrics) + extra)


def test_an_alarm_on_an_expression_loads() -> None:
    _load(f"[{ERRORS}, {CALLS}, {{id: rate, expression: errors / calls * 100, label: Error rate}}]")


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        (f"[{ERRORS}, {{id: rate, expression: errors / calls}}]", "no query has the id 'calls'"),
        (
            f"[{ERRORS}, {{id: a, expression: b + errors, return_data: false}}, {{id: b, expression: a}}]",
            "the expressions refer to each other in a cycle: a -> b -> a",
        ),
        (f"[{ERRORS}, {CALLS}]", "exactly one query has return_data true (the alarm's series), not 0"),
        (
            "[{id: errors, metric_stat: {metric: RequestCount}}, {id: rate, expression: errors * 2}]",
            "exactly one query has return_data true (the alarm's series), not 2 (errors, rate)",
        ),
        (f"[{ERRORS}, {{id: rate, expression: SUM(errors)}}]", "its result is a single number"),
        (f"[{ERRORS}, {{id: Rate, expression: errors}}]", "id 'Rate': an id starts with a lowercase letter"),
        (f"[{ERRORS}, {ERRORS}, {{id: r, expression: errors}}]", "id errors is given more than once"),
        ("[{id: r, expression: 'errors +'}]", "query r: expression: column 9: expected a number"),
        ("[{id: r}]", "query r: give one of metric_stat or expression"),
        ("[{id: r, metric_stat: {metric: X, stat: Median}}]", "expected one of Sum, Average"),
        (
            "[{id: r, expression: TIME_SERIES(1), return_data: 1}]",
            "return_data: expected true or false, got 1",
        ),
    ],
)
def test_metrics_are_checked_as_put_metric_alarm_checks_them(metrics: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        _load(metrics)
    (problem,) = caught.value.problems
    assert "alarms.rate" in problem and message in problem, problem


def test_metric_math_replaces_metric_and_namespace() -> None:
    with pytest.raises(BadInput) as caught:
        _load(f"[{ERRORS}, {{id: r, expression: errors}}]\n    metric: RequestCount\n    statistic: Sum")
    (problem,) = caught.value.problems
    assert "metrics (metric math) replaces metric, statistic: give each in a metric_stat" in problem
