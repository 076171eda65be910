"""CloudWatch over the local fleet: the fleet file's alarms as each environment's alarm monitor
evaluates them (``ops.alarms``), the load balancers' metrics (``metrics``) and the instance and
group metrics fleetops records (``stored_metrics``).

An alarm with its own ``service`` is named as in the fleet file; a template alarm (no
``service``) is one alarm per service watching it, named ``<group>-<alarm>``
(``restaurant-orders-high-5xx``). ``SetAlarmState`` sets a state until the next evaluation
(every second) says otherwise, as on AWS; ``DisableAlarmActions`` stops its notifications.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleetops.ops.alarms import AlarmMonitor, AlarmState
from fleetops.ops.alarms.monitor import AlarmStatus
from fleetops.server.aws import metrics, pages, stored_metrics
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import ACCOUNT, Group
from fleetops.server.roles import Role
from fleetops.spec.resources import PERCENTILE

CW = "cloudwatch"


@dataclass(frozen=True)
class Target:
    """One alarm of one service of one environment, under its CloudWatch name."""

    name: str
    group: Group
    monitor: AlarmMonitor
    status: AlarmStatus


def _targets(call: Call) -> Iterator[Target]:
    groups = {(g.environment, g.service): g for g in call.groups()}
    seen: set[str] = set()
    for environment in call.environments.names():
        runtime = call.environments.get(environment)
        monitor = getattr(runtime, "alarms", None)
        if not isinstance(monitor, AlarmMonitor):
            continue
        for status in monitor.describe():
            group = groups.get((environment, status.service))
            if group is None:
                continue
            name = status.name if status.alarm.service else f"{group.name}-{status.name}"
            if name not in seen:  # two environments sharing names: the first started wins
                seen.add(name)
                yield Target(name, group, monitor, status)


def _alarm(target: Target) -> dict[str, Any]:
    status, alarm, group = target.status, target.status.alarm, target.group
    percentile = PERCENTILE.match(alarm.statistic) is not None
    return {
        "AlarmName": target.name,
        "AlarmArn": f"arn:aws:cloudwatch:{group.region}:{ACCOUNT}:alarm:{target.name}",
        "AlarmDescription": alarm.description or None,
        "ActionsEnabled": target.monitor.actions_enabled(status.name, status.service),
        "OKActions": [],
        "AlarmActions": [],
        "InsufficientDataActions": [],
        "StateValue": status.state.value,
        "StateReason": status.reason,
        "StateUpdatedTimestamp": status.updated_at,
        "StateTransitionedTimestamp": status.updated_at,
        "MetricName": alarm.metric,
        "Namespace": metrics.NAMESPACE,
        "Statistic": None if percentile else alarm.statistic,
        "ExtendedStatistic": alarm.statistic if percentile else None,
        "Dimensions": [
            {"Name": "TargetGroup", "Value": group.target_group_dimension},
            {"Name": "LoadBalancer", "Value": group.load_balancer_dimension},
        ],
        "Period": max(1, round(alarm.period.total_seconds())),
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.m_of_n[0],
        "Threshold": alarm.threshold,
        "ComparisonOperator": alarm.comparison.value,
        "TreatMissingData": alarm.treat_missing_data.value,
    }


@operation(CW, "DescribeAlarms")
def describe_alarms(call: Call, params: Params) -> Output:
    """The alarms (``AlarmNames``, ``AlarmNamePrefix``, ``StateValue``), by name."""
    names, prefix = params.get("AlarmNames") or [], params.get("AlarmNamePrefix")
    if names and prefix:
        raise AwsError(
            "InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot be given together"
        )
    state = params.get("StateValue")
    types = params.get("AlarmTypes") or ["MetricAlarm"]
    found = sorted(
        (
            t
            for t in _targets(call)
            if (not names or t.name in names)
            and (prefix is None or t.name.startswith(prefix))
            and state in (None, t.status.state.value)
        ),
        key=lambda t: t.name,
    )
    if "MetricAlarm" not in types:
        found = []
    page, token = pages.page(found, params, default=50, limit=100)
    return {"MetricAlarms": [_alarm(t) for t in page], "CompositeAlarms": [], "NextToken": token}


def _find(call: Call, name: str) -> Target:
    for target in _targets(call):
        if target.name == name:
            return target
    raise AwsError("ResourceNotFound", f"Alarm {name} does not exist")


@operation(CW, "SetAlarmState", Role.OPERATOR, target="AlarmName")
def set_alarm_state(call: Call, params: Params) -> Output:
    """Put an alarm in a state until its next evaluation (its actions run on the change)."""
    target = _find(call, params["AlarmName"])
    try:
        state = AlarmState(params["StateValue"])
    except ValueError:
        raise AwsError(
            "InvalidParameterValue",
            f"StateValue {params['StateValue']!r} is not OK, ALARM or INSUFFICIENT_DATA",
        ) from None
    target.monitor.set_state(target.status.name, target.status.service, state, params["StateReason"])
    return {}


def _set_actions(call: Call, params: Params, *, enabled: bool) -> Output:
    chosen = [_find(call, name) for name in params["AlarmNames"]]
    for target in chosen:
        target.monitor.set_actions(target.status.name, target.status.service, enabled=enabled)
    return {}


@operation(CW, "EnableAlarmActions", Role.OPERATOR)
def enable_alarm_actions(call: Call, params: Params) -> Output:
    """Notify the alarms' changes again."""
    return _set_actions(call, params, enabled=True)


@operation(CW, "DisableAlarmActions", Role.OPERATOR)
def disable_alarm_actions(call: Call, params: Params) -> Output:
    """Stop notifying the alarms' changes (their states are still evaluated)."""
    return _set_actions(call, params, enabled=False)


def _series(
    call: Call,
    groups: list[Group],
    *,
    namespace: str,
    metric: str,
    dimensions: list[dict[str, str]],
    names: list[str],
    start: datetime,
    end: datetime,
    period_s: int,
) -> dict[str, metrics.Series]:
    """A load balancer's metric from HAProxy's access log, else one fleetops records (CPU,
    memory, group sizes: ``stored_metrics``), else no datapoints, as for a metric nobody
    publishes."""
    group = metrics.group_of(groups, namespace, dimensions)
    series = metrics.statistics(group, metric, names, start=start, end=end, period_s=period_s)
    if group is not None:
        return series
    starts = next(iter(series.values())).starts
    stored = stored_metrics.statistics(
        call, namespace, metric, dimensions, names, starts=starts, end=end, period_s=period_s
    )
    return stored if stored is not None else series


@operation(CW, "GetMetricStatistics")
def get_metric_statistics(call: Call, params: Params) -> Output:
    """Statistics of one metric by period: a load balancer's, or one fleetops records."""
    simple = params.get("Statistics") or []
    extended = params.get("ExtendedStatistics") or []
    if not simple and not extended:
        raise AwsError("MissingParameter", "Statistics or ExtendedStatistics must be given")
    metric = params["MetricName"]
    series = _series(
        call, list(call.groups()), namespace=params["Namespace"], metric=metric,
        dimensions=params.get("Dimensions") or [], names=[*simple, *extended],
        start=params["StartTime"], end=params["EndTime"], period_s=params["Period"],
    )  # fmt: skip
    starts = next(iter(series.values())).starts
    shown_unit = stored_metrics.unit(params["Namespace"], metric) or metrics.unit(metric)
    datapoints = []
    for index, start in enumerate(starts):
        if all(s.values[index] is None for s in series.values()):
            continue
        point: dict[str, Any] = {
            "Timestamp": datetime.fromtimestamp(start / 1000, UTC),
            "Unit": shown_unit,
        }
        for name in simple:
            point[name] = series[name].values[index]
        if extended:
            point["ExtendedStatistics"] = {name: series[name].values[index] for name in extended}
        datapoints.append(point)
    return {"Label": metric, "Datapoints": datapoints}


@operation(CW, "GetMetricData")
def get_metric_data(call: Call, params: Params) -> Output:
    """Each query's datapoints (``MetricStat`` queries; metric math is not served)."""
    groups = list(call.groups())
    results = []
    for query in params["MetricDataQueries"]:
        stat = query.get("MetricStat")
        if stat is None:
            raise AwsError(
                "InvalidParameterValue",
                f"query {query['Id']}: metric math (Expression) is not served here; use MetricStat",
            )
        metric = stat["Metric"]
        series = _series(
            call, groups, namespace=metric.get("Namespace", ""), metric=metric.get("MetricName", ""),
            dimensions=metric.get("Dimensions") or [], names=[stat["Stat"]],
            start=params["StartTime"], end=params["EndTime"], period_s=stat["Period"],
        )[stat["Stat"]]  # fmt: skip
        points = [(s, v) for s, v in zip(series.starts, series.values, strict=True) if v is not None]
        points.sort(reverse=params.get("ScanBy", "TimestampDescending") == "TimestampDescending")
        if query.get("ReturnData", True):
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label") or metric.get("MetricName"),
                    "Timestamps": [datetime.fromtimestamp(s / 1000, UTC) for s, _ in points],
                    "Values": [v for _, v in points],
                    "StatusCode": "Complete",
                }
            )
    return {"MetricDataResults": results, "Messages": []}
