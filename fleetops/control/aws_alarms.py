"""The fleet file's alarms as CloudWatch metric alarms of an aws environment.

Each alarm target (an alarm with ``service``, or a template once per service listing it in
``deploy.alarms``) is one CloudWatch alarm named ``<fleet>-<environment>-<service>-<alarm>``,
put with PutMetricAlarm (idempotent: the same call again changes nothing) on the service's
dimensions: ``TargetGroup`` and ``LoadBalancer`` for the load balancer's metrics
(``AWS/ApplicationELB``), ``AutoScalingGroupName`` for EC2 metrics (``AWS/EC2``),
``ClusterName``/``ServiceName`` for ECS ones. CloudWatch takes periods of 10 s, 30 s or a multiple
of 60 s: a fleet file period in between is raised to the next of those.

AWS evaluates them; fleetops reads their states with DescribeAlarms for ``fleetops alarms`` and
the deploy gate (a rollout does not start while one of its alarms is in ALARM), and names them in
the instance refresh's ``AlarmSpecification``, so AWS fails (and with AutoRollback undoes) a
refresh whose alarm goes into ALARM.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fleetops.errors import Refused
from fleetops.ops.alarms import AlarmState, AlarmStatus
from fleetops.ops.alarms.stored_metrics import GROUP_NAMESPACES
from fleetops.providers.aws.session import AwsClients, aws_call
from fleetops.spec.fleet import Fleet
from fleetops.spec.resources import Alarm, MetricQuery

ELB_METRICS = frozenset(
    {
        "RequestCount",
        "TargetResponseTime",
        "HealthyHostCount",
        "UnHealthyHostCount",
        "RequestCountPerTarget",
        "TargetConnectionErrorCount",
    }
)


def cloudwatch_period(seconds: float) -> int:
    """The CloudWatch period for a fleet file period: 10, 30 or a multiple of 60 seconds."""
    if seconds <= 10:
        return 10
    if seconds <= 30:
        return 30
    return 60 * math.ceil(seconds / 60)


def _resource_part(arn: str, marker: str) -> str:
    # arn:aws:elasticloadbalancing:r:a:targetgroup/name/id -> targetgroup/name/id
    return arn.split(":", 5)[5] if marker in arn else arn


class AwsAlarms:
    """The CloudWatch alarms of one aws environment (see the module docstring)."""

    def __init__(self, fleet: Fleet, environment: str, clients: AwsClients) -> None:
        self.fleet = fleet
        self.environment = environment
        self.clients = clients
        self._balancers: dict[str, str | None] = {}

    def name(self, service: str, alarm: str) -> str:
        """The CloudWatch name of ``alarm`` of ``service``."""
        return f"{self.fleet.name}-{self.environment}-{service}-{alarm}"

    def targets(self) -> list[tuple[str, str, Alarm]]:
        """(CloudWatch name, service, alarm) of every alarm target, by name."""
        out: dict[str, tuple[str, str, Alarm]] = {}
        for alarm_name, alarm in self.fleet.alarms.items():
            if alarm.environments is not None and self.environment not in alarm.environments:
                continue
            watchers = (
                [alarm.service]
                if alarm.service is not None
                else [
                    s
                    for s in self.fleet.services
                    if alarm_name in self.fleet.service(s, self.environment).deploy.alarms
                ]
            )
            for service in watchers:
                name = self.name(service, alarm_name)
                out[name] = (name, service, alarm)
        return [out[key] for key in sorted(out)]

    def put_all(self) -> list[str]:
        """PutMetricAlarm for every target; their names."""
        names = []
        for name, service, alarm in self.targets():
            aws_call(
                "cloudwatch:PutMetricAlarm", name, self.clients.cloudwatch.put_metric_alarm,
                **self.alarm_params(name, service, alarm),
            )  # fmt: skip
            names.append(name)
        return names

    def alarm_params(self, name: str, service: str, alarm: Alarm) -> dict[str, Any]:
        """The PutMetricAlarm parameters of one target."""
        m, n = alarm.m_of_n
        period = cloudwatch_period(alarm.period.total_seconds())
        params: dict[str, Any] = {
            "AlarmName": name,
            "AlarmDescription": alarm.description or f"{alarm.watched} of {service} (fleetops)",
            "EvaluationPeriods": n,
            "DatapointsToAlarm": m,
            "Threshold": alarm.threshold,
            "ComparisonOperator": alarm.comparison.value,
            "TreatMissingData": alarm.treat_missing_data.value,
        }
        if alarm.metrics is not None:
            params["Metrics"] = [self._query(service, query, period) for query in alarm.metrics]
            return params
        assert alarm.metric is not None
        namespace, dimensions = self._dimensions(service, alarm.metric)
        params.update(Namespace=namespace, MetricName=alarm.metric, Dimensions=dimensions, Period=period)
        if alarm.statistic.startswith("p"):
            params["ExtendedStatistic"] = alarm.statistic
        else:
            params["Statistic"] = alarm.statistic
        return params

    def _query(self, service: str, query: MetricQuery, period: int) -> dict[str, Any]:
        """One entry of PutMetricAlarm's ``Metrics``: a metric on this environment's names (a
        store namespace as given, on its group when it has no dimensions), or an expression."""
        out: dict[str, Any] = {"Id": query.id, "ReturnData": query.return_data}
        if query.label:
            out["Label"] = query.label
        if query.expression is not None:
            out["Expression"] = query.expression
            return out
        stat = query.metric_stat
        assert stat is not None
        if stat.namespace is None:
            namespace, dimensions = self._dimensions(service, stat.metric)
        else:
            namespace = stat.namespace
            dimensions = [{"Name": k, "Value": v} for k, v in sorted(stat.dimensions.items())]
            aws = self.fleet.service(service, self.environment).aws
            if not dimensions and namespace in GROUP_NAMESPACES and aws is not None:
                dimensions = [{"Name": "AutoScalingGroupName", "Value": str(aws.auto_scaling_group)}]
        metric = {"Namespace": namespace, "MetricName": stat.metric, "Dimensions": dimensions}
        out["MetricStat"] = {"Metric": metric, "Period": period, "Stat": stat.stat}
        return out

    def _dimensions(self, service: str, metric: str) -> tuple[str, list[dict[str, str]]]:
        aws = self.fleet.service(service, self.environment).aws
        assert aws is not None  # the fleet file's checks require it in an aws environment
        if aws.ecs and (aws.target_group_arn is None or not _is_elb_metric(metric)):
            return "AWS/ECS", [
                {"Name": "ClusterName", "Value": str(aws.ecs_cluster)},
                {"Name": "ServiceName", "Value": str(aws.ecs_service)},
            ]
        if not _is_elb_metric(metric) or aws.target_group_arn is None:
            return "AWS/EC2", [{"Name": "AutoScalingGroupName", "Value": str(aws.auto_scaling_group)}]
        dims = [{"Name": "TargetGroup", "Value": _resource_part(aws.target_group_arn, "targetgroup/")}]
        balancer = self._balancer(aws.target_group_arn)
        if balancer is not None:
            dims.append({"Name": "LoadBalancer", "Value": balancer})
        return "AWS/ApplicationELB", dims

    def _balancer(self, target_group_arn: str) -> str | None:
        if target_group_arn not in self._balancers:
            (group,) = aws_call(
                "elasticloadbalancing:DescribeTargetGroups",
                target_group_arn,
                self.clients.elbv2.describe_target_groups,
                TargetGroupArns=[target_group_arn],
            )["TargetGroups"]
            arns = group.get("LoadBalancerArns", [])
            # LoadBalancer dimension: app/name/id, the part after "loadbalancer/".
            self._balancers[target_group_arn] = arns[0].split(":loadbalancer/", 1)[1] if arns else None
        return self._balancers[target_group_arn]

    def aws_preferences(self, service: str, preferences: Mapping[str, Any]) -> dict[str, Any]:
        """Instance refresh preferences with the fleet file's alarm names made CloudWatch names."""
        out = dict(preferences)
        spec = out.get("AlarmSpecification")
        if spec:
            out["AlarmSpecification"] = {"Alarms": [self.name(service, a) for a in spec.get("Alarms", [])]}
        return out

    def states(self, service: str, names: Sequence[str]) -> dict[str, str]:
        """DescribeAlarms: fleet file alarm name -> state, of ``service``'s alarms ``names``."""
        if not names:
            return {}
        wanted = {self.name(service, n): n for n in names}
        found = aws_call(
            "cloudwatch:DescribeAlarms",
            ", ".join(wanted),
            self.clients.cloudwatch.describe_alarms,
            AlarmNames=list(wanted),
        )["MetricAlarms"]
        return {wanted[a["AlarmName"]]: str(a["StateValue"]) for a in found if a["AlarmName"] in wanted}

    def gate(self, service: str, names: Sequence[str]) -> None:
        """Refused when one of the rollout's alarms is in ALARM (as the instance refresh would fail)."""
        firing = sorted(n for n, state in self.states(service, names).items() if state == "ALARM")
        if firing:
            raise Refused(
                f"{service}: alarm {', '.join(self.name(service, n) for n in firing)} is in ALARM; "
                "a rollout does not start until it is OK"
            )

    def describe(self, *, service: str | None = None, state: str | None = None) -> list[AlarmStatus]:
        """Every alarm target's state from DescribeAlarms, by name then service."""
        targets = [t for t in self.targets() if service in (None, t[1])]
        if not targets:
            return []
        paginator = self.clients.cloudwatch.get_paginator("describe_alarms")
        prefix = f"{self.fleet.name}-{self.environment}-"
        pages = aws_call(
            "cloudwatch:DescribeAlarms",
            prefix + "*",
            lambda: list(paginator.paginate(AlarmNamePrefix=prefix)),
        )
        found = {a["AlarmName"]: a for page in pages for a in page["MetricAlarms"]}
        out = []
        for name, svc, alarm in targets:
            item = found.get(name)
            if item is None:
                status = AlarmStatus(
                    name=name.removeprefix(prefix).removeprefix(f"{svc}-"),
                    service=svc,
                    alarm=alarm,
                    state=AlarmState.INSUFFICIENT_DATA,
                    reason=f"CloudWatch has no alarm {name}: `fleetops up --env {self.environment}` puts it",
                    updated_at=datetime.now(UTC),
                )
            else:
                status = AlarmStatus(
                    name=name.removeprefix(prefix).removeprefix(f"{svc}-"),
                    service=svc,
                    alarm=alarm,
                    state=AlarmState(item["StateValue"]),
                    reason=str(item.get("StateReason", "")),
                    updated_at=item.get("StateUpdatedTimestamp") or datetime.now(UTC),
                )
            if state in (None, status.state):
                out.append(status)
        return out


def _is_elb_metric(metric: str) -> bool:
    return metric in ELB_METRICS or metric.startswith("HTTPCode_")
