"""CloudWatch dashboards over the local fleet: one per running environment, named
``<fleet>-<environment>-dashboard`` (``restaurant-dev-dashboard``), generated from the fleet file:
for each service a widget of its load balancer's traffic and errors, one of its response time
and one of its group's CPU, then a widget of the environment's alarms. Each widget's metrics are
ones this endpoint serves (``get-metric-data`` reads them), under the names ``resources`` gives.
Dashboards are not stored: PutDashboard is not served.
"""

from __future__ import annotations

import json
from typing import Any

from fleetops.server.aws import alarm_targets, metrics
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import ACCOUNT, Group

CW = "cloudwatch"


def _widget(
    title: str, metrics_: list[list[Any]], region: str, *, stat: str, y: int, x: int
) -> dict[str, Any]:
    return {
        "type": "metric", "x": x, "y": y, "width": 8, "height": 6,
        "properties": {"title": title, "metrics": metrics_, "region": region, "stat": stat, "period": 60,
                       "view": "timeSeries"},
    }  # fmt: skip


def _service_widgets(group: Group, row: int) -> list[dict[str, Any]]:
    balancer = ["LoadBalancer", group.load_balancer_dimension]
    y, region = row * 6, group.region
    return [
        _widget(f"{group.service}: requests and 5XX", [
            [metrics.NAMESPACE, "RequestCount", *balancer],
            [metrics.NAMESPACE, "HTTPCode_Target_5XX_Count", *balancer],
        ], region, stat="Sum", y=y, x=0),
        _widget(f"{group.service}: response time", [[metrics.NAMESPACE, "TargetResponseTime", *balancer]],
                region, stat="p99", y=y, x=8),
        _widget(f"{group.service}: CPU", [["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", group.name]],
                region, stat="Average", y=y, x=16),
    ]  # fmt: skip


def _dashboards(call: Call) -> dict[str, tuple[str, list[Group]]]:
    """Dashboard name -> (environment, its groups), in start order."""
    out: dict[str, tuple[str, list[Group]]] = {}
    for group in call.groups():
        name = f"{group.runtime.fleet.name}-{group.environment}-dashboard"
        out.setdefault(name, (group.environment, []))[1].append(group)
    return out


def _arn(name: str) -> str:
    return f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}"


def _body(call: Call, environment: str, groups: list[Group]) -> str:
    widgets = [w for row, group in enumerate(groups) for w in _service_widgets(group, row)]
    alarms = sorted(t.arn(call.region) for t in alarm_targets.targets(call) if t.environment == environment)
    if alarms:
        widgets.append({
            "type": "alarm", "x": 0, "y": len(groups) * 6, "width": 24, "height": 4,
            "properties": {"title": f"{environment} alarms", "alarms": alarms},
        })  # fmt: skip
    return json.dumps({"widgets": widgets}, separators=(",", ":"))


@operation(CW, "GetDashboard")
def get_dashboard(call: Call, params: Params) -> Output:
    """The environment's dashboard (see the module docstring)."""
    name = params["DashboardName"]
    found = _dashboards(call).get(name)
    if found is None:
        known = ", ".join(_dashboards(call)) or "none: no environment runs"
        raise AwsError(
            "DashboardNotFoundError", f"Dashboard {name} does not exist (dashboards here: {known})"
        )
    return {"DashboardArn": _arn(name), "DashboardName": name, "DashboardBody": _body(call, *found)}


@operation(CW, "ListDashboards")
def list_dashboards(call: Call, params: Params) -> Output:
    """One dashboard per running environment (``DashboardNamePrefix``)."""
    prefix = params.get("DashboardNamePrefix") or ""
    entries = [
        {"DashboardName": name, "DashboardArn": _arn(name), "LastModified": call.clock.now(),
         "Size": len(_body(call, *found))}
        for name, found in _dashboards(call).items()
        if name.startswith(prefix)
    ]  # fmt: skip
    return {"DashboardEntries": entries}
