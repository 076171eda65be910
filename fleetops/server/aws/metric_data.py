"""GetMetricData over the local fleet: ``MetricStat`` queries read as GetMetricStatistics reads
them, ``Expression`` queries evaluated with metric math (``spec.metric_eval``) on the same periods.

Checked as CloudWatch checks them (an ``InvalidParameterValue`` naming the query): ids start with a
lowercase letter and are unique, each query is a MetricStat or an Expression, an expression names
only ids of the request, no cycle, and a returned expression is a time series or an array of them
(an array answers one result per series, under the expression's id). The metrics an expression
reads share one period here (CloudWatch allows mixing them; fleetops refuses it by name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from fleetops.server.aws.metrics import Series as Stats
from fleetops.server.aws.metrics import invalid
from fleetops.server.aws.operations import Output, Params
from fleetops.spec.metric_eval import Scalar, Series, SeriesArray, Value, evaluate
from fleetops.spec.metric_math import Expr, MathError, check_id, parse_expression

ReadStat = Callable[[dict[str, Any], int], Stats]
"""Reads one MetricStat (its ``Metric`` and ``Stat``) at a period in seconds."""


def _checked(queries: Sequence[dict[str, Any]]) -> tuple[dict[str, Expr], list[dict[str, Any]]]:
    expressions: dict[str, Expr] = {}
    stats: list[dict[str, Any]] = []
    seen: set[str] = set()
    for query in queries:
        qid = str(query.get("Id", ""))
        try:
            check_id(qid)
        except MathError as err:
            raise invalid(f"The value {qid!r} for Id is invalid: {err}") from None
        if qid in seen:
            raise invalid(f"The Id {qid} is used by more than one query")
        seen.add(qid)
        has_stat, expression = query.get("MetricStat") is not None, query.get("Expression")
        if has_stat == (expression is not None):
            raise invalid(f"Query {qid}: give exactly one of MetricStat and Expression")
        if expression is not None:
            try:
                expressions[qid] = parse_expression(expression)
            except MathError as err:
                raise invalid(f"Error in expression {qid!r}: {err}") from None
        else:
            stats.append(query)
    return expressions, stats


def metric_data(params: Params, read: ReadStat) -> Output:
    """GetMetricData's answer (``read``: GetMetricStatistics' reading of one metric)."""
    queries = params["MetricDataQueries"]
    expressions, stats = _checked(queries)
    periods = {int(q["MetricStat"]["Period"]) for q in stats}
    if expressions and len(periods) > 1:
        raise invalid(
            f"the metrics of an expression must share one Period here, these have {sorted(periods)}"
        )
    read_at: dict[str, Stats] = {
        q["Id"]: read(q["MetricStat"], int(q["MetricStat"]["Period"])) for q in stats
    }
    period_s = next(iter(periods), None) or next((int(q["Period"]) for q in queries if q.get("Period")), 60)
    starts = next(iter(read_at.values())).starts if read_at else read({}, period_s).starts
    values: dict[str, Value]
    try:
        values = evaluate(
            expressions, {qid: s.values for qid, s in read_at.items()}, starts=starts, period_s=period_s
        )
    except MathError as err:
        raise invalid(f"Error in expression: {err}") from None
    descending = params.get("ScanBy", "TimestampDescending") == "TimestampDescending"
    results = []
    for query in queries:
        if not query.get("ReturnData", True):
            continue
        qid = query["Id"]
        label = query.get("Label") or (
            query["MetricStat"]["Metric"].get("MetricName") if qid in read_at else qid
        )
        for shown, points in _returned(qid, label, values[qid], read_at.get(qid)):
            pairs = [(s, v) for s, v in zip(starts, points, strict=True) if v is not None]
            pairs.sort(reverse=descending)
            results.append(
                {
                    "Id": qid,
                    "Label": shown,
                    "Timestamps": [datetime.fromtimestamp(s / 1000, UTC) for s, _ in pairs],
                    "Values": [v for _, v in pairs],
                    "StatusCode": "Complete",
                }
            )
    return {"MetricDataResults": results, "Messages": []}


def _returned(
    qid: str, label: str, value: Value, stats: Stats | None
) -> list[tuple[str, Sequence[float | None]]]:
    if stats is not None:
        return [(label, stats.values)]
    if isinstance(value, Scalar):
        raise invalid(
            f"Error in expression {qid!r}: its result is a single number; a returned expression must "
            "give a time series"
        )
    if isinstance(value, Series):
        return [(label, value.points)]
    assert isinstance(value, SeriesArray)
    return [(f"{label} {item.label}".strip(), item.points) for item in value.items]
