"""CloudWatch over the local fleet: the fleet file's alarms and composite alarms as each
environment's alarm monitor evaluates them (``ops.alarms``; named as ``alarm_targets`` says),
the load balancers' metrics (``metrics``) and the instance and group metrics fleetops records
(``stored_metrics``); GetMetricData with metric math (``metric_data``).

Each metric alarm shows the metric it watches: the load balancer's (``AWS/ApplicationELB`` by
target group and load balancer) or the stored one its ``namespace`` names, with its dimensions
(the service's ``AutoScalingGroupName`` for an instance or group namespace without any). Its
``AlarmActions`` are the ARNs of the scaling policies its actions run. ``SetAlarmState`` sets a
state until the next evaluation (every second) says otherwise, as on AWS;
``DisableAlarmActions`` stops its actions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleetops.ops.alarms import AlarmMonitor, AlarmState
from fleetops.ops.alarms.composite import CompositeStatus
from fleetops.ops.alarms.stored_metrics import GROUP_NAMESPACES
from fleetops.server.aws import alarm_targets, metrics, pages, stored_metrics
from fleetops.server.aws.alarm_targets import Target
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.metric_data import metric_data
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import ACCOUNT, Group
from fleetops.server.roles import Role
from fleetops.spec.resources import PERCENTILE

CW = "cloudwatch"


def _dimensions(target: Target, namespace: str | None, given: Mapping[str, str]) -> list[dict[str, str]]:
    group = target.group
    if namespace is None:  # the load balancer's metrics
        if group is None:
            return []
        return [
            {"Name": "TargetGroup", "Value": group.target_group_dimension},
            {"Name": "LoadBalancer", "Value": group.load_balancer_dimension},
        ]
    dimensions = dict(given)
    if not dimensions and group is not None and namespace in GROUP_NAMESPACES:
        dimensions = {"AutoScalingGroupName": group.name}
    return [{"Name": name, "Value": value} for name, value in sorted(dimensions.items())]


def _metrics(target: Target, period_s: int) -> list[dict[str, Any]]:
    """A metric math alarm's ``Metrics``, each metric under the names ``_dimensions`` gives it."""
    out: list[dict[str, Any]] = []
    for query in target.status.alarm.metrics or []:
        item: dict[str, Any] = {"Id": query.id, "ReturnData": query.return_data, "Label": query.label or None}
        if query.metric_stat is None:
            item["Expression"] = query.expression
        else:
            stat = query.metric_stat
            metric = {
                "Namespace": stat.namespace or metrics.NAMESPACE,
                "MetricName": stat.metric,
                "Dimensions": _dimensions(target, stat.namespace, stat.dimensions),
            }
            item["MetricStat"] = {"Metric": metric, "Period": period_s, "Stat": stat.stat}
        out.append(item)
    return out


def _alarm(target: Target, region: str) -> dict[str, Any]:
    status, alarm = target.status, target.status.alarm
    percentile = PERCENTILE.match(alarm.statistic) is not None
    math = alarm.metrics is not None  # metric math: Metrics instead of one metric's fields
    period_s = max(1, round(alarm.period.total_seconds()))
    return {
        "AlarmName": target.name,
        "AlarmArn": target.arn(region),
        "AlarmDescription": alarm.description or None,
        "ActionsEnabled": target.monitor.actions_enabled(status.name, status.service),
        "OKActions": [],
        "AlarmActions": target.policy_arns,
        "InsufficientDataActions": [],
        "StateValue": status.state.value,
        "StateReason": status.reason,
        "StateUpdatedTimestamp": status.updated_at,
        "StateTransitionedTimestamp": status.updated_at,
        "MetricName": alarm.metric,
        "Namespace": None if math else alarm.namespace or metrics.NAMESPACE,
        "Statistic": None if percentile or math else alarm.statistic,
        "ExtendedStatistic": alarm.statistic if percentile else None,
        "Dimensions": [] if math else _dimensions(target, alarm.namespace, alarm.dimensions),
        "Period": None if math else period_s,
        "Metrics": _metrics(target, period_s) if math else None,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.m_of_n[0],
        "Threshold": alarm.threshold,
        "ComparisonOperator": alarm.comparison.value,
        "TreatMissingData": alarm.treat_missing_data.value,
    }


@dataclass(frozen=True)
class Composite:
    """One composite alarm of one environment."""

    monitor: AlarmMonitor
    status: CompositeStatus


def _composites(call: Call) -> Iterator[Composite]:
    seen: set[str] = set()
    for _environment, monitor in alarm_targets.monitors(call):
        for status in monitor.describe_composites():
            if status.name not in seen:  # two environments sharing names: the first started wins
                seen.add(status.name)
                yield Composite(monitor, status)


def _composite(found: Composite, region: str) -> dict[str, Any]:
    status, spec = found.status, found.status.composite
    shown: dict[str, Any] = {
        "AlarmName": status.name,
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{status.name}",
        "AlarmDescription": spec.description or None,
        "ActionsEnabled": found.monitor.actions_enabled(status.name, ""),
        "OKActions": [],
        "AlarmActions": [],
        "InsufficientDataActions": [],
        "AlarmRule": spec.rule,
        "StateValue": status.state.value,
        "StateReason": status.reason,
        "StateUpdatedTimestamp": status.updated_at,
        "StateTransitionedTimestamp": status.updated_at,
    }
    if spec.actions_suppressor is not None:
        shown["ActionsSuppressor"] = spec.actions_suppressor
        shown["ActionsSuppressorWaitPeriod"] = round(spec.wait_period.total_seconds())
        shown["ActionsSuppressorExtensionPeriod"] = round(spec.extension_period.total_seconds())
    if status.suppressed_by is not None:
        shown["ActionsSuppressedBy"] = status.suppressed_by
    return shown


def _wanted(params: Params, name: str, state: str) -> bool:
    names, prefix = params.get("AlarmNames") or [], params.get("AlarmNamePrefix")
    return (
        (not names or name in names)
        and (prefix is None or name.startswith(prefix))
        and params.get("StateValue") in (None, state)
    )


@operation(CW, "DescribeAlarms")
def describe_alarms(call: Call, params: Params) -> Output:
    """The alarms (``AlarmNames``, ``AlarmNamePrefix``, ``StateValue``, ``AlarmTypes``), by
    name: metric alarms only unless ``AlarmTypes`` says otherwise, as on AWS."""
    if params.get("AlarmNames") and params.get("AlarmNamePrefix") is not None:
        raise AwsError(
            "InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot be given together"
        )
    types = params.get("AlarmTypes") or ["MetricAlarm"]
    found: list[Target | Composite] = []
    if "MetricAlarm" in types:
        found += [t for t in alarm_targets.targets(call) if _wanted(params, t.name, t.status.state.value)]
    if "CompositeAlarm" in types:
        found += [c for c in _composites(call) if _wanted(params, c.status.name, c.status.state.value)]
    found.sort(key=lambda item: item.name if isinstance(item, Target) else item.status.name)
    page, token = pages.page(found, params, default=50, limit=100)
    return {
        "MetricAlarms": [_alarm(item, call.region) for item in page if isinstance(item, Target)],
        "CompositeAlarms": [_composite(item, call.region) for item in page if isinstance(item, Composite)],
        "NextToken": token,
    }


def _find(call: Call, name: str) -> Target:
    for target in alarm_targets.targets(call):
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
    chosen: list[tuple[AlarmMonitor, str, str]] = []
    composites = {c.status.name: c for c in _composites(call)}
    for name in params["AlarmNames"]:
        if name in composites:
            chosen.append((composites[name].monitor, name, ""))
        else:
            target = _find(call, name)
            chosen.append((target.monitor, target.status.name, target.status.service))
    for monitor, name, service in chosen:
        monitor.set_actions(name, service, enabled=enabled, by=call.principal.name)
    return {}


@operation(CW, "EnableAlarmActions", Role.OPERATOR)
def enable_alarm_actions(call: Call, params: Params) -> Output:
    """Run the alarms' actions on their changes again."""
    return _set_actions(call, params, enabled=True)


@operation(CW, "DisableAlarmActions", Role.OPERATOR)
def disable_alarm_actions(call: Call, params: Params) -> Output:
    """Stop running the alarms' actions (notifications, runbooks, scaling policies; their
    states are still evaluated)."""
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
    series = metrics.statistics(
        group, metric, names, start=start, end=end, period_s=period_s, now=call.clock.now()
    )
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
    """Each query's datapoints: ``MetricStat`` queries and metric math ``Expression`` ones."""
    groups = list(call.groups())

    def read(stat: dict[str, Any], period_s: int) -> metrics.Series:
        metric, name = stat.get("Metric") or {}, stat.get("Stat", "Average")
        return _series(
            call, groups, namespace=metric.get("Namespace", ""), metric=metric.get("MetricName", ""),
            dimensions=metric.get("Dimensions") or [], names=[name],
            start=params["StartTime"], end=params["EndTime"], period_s=period_s,
        )[name]  # fmt: skip

    return metric_data(params, read)
