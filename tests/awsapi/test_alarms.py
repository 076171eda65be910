"""``describe-alarms`` shows each alarm as the fleet file defines it: the metric it watches (the
load balancer's, or the stored one its namespace names, with its dimensions), the scaling
policies its actions run (``AlarmActions``), alarms of no service, and composite alarms when
``AlarmTypes`` asks for them. One in-process control plane over the example's stage (whose
composite and orchestrator alarms are evaluated there), its monitor reading an empty metrics
store; the monitor's evaluation is tested in tests/ops/alarms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fleetops.ops.alarms import AlarmMonitor
from fleetops.ops.alarms.stored_metrics import StoredMetrics
from fleetops.server.roles import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import api_harness
from fleetops.testing.aws import REGION
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.local import EXAMPLES
from fleetops.testing.sfn import serving


@pytest.fixture(scope="module")
def cloudwatch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with api_harness(tmp_path_factory.mktemp("alarms") / "state") as api:
        fleet = load_fleet(EXAMPLES / "fleet.yaml")
        environments = in_memory_environments(fleet, "stage")
        runtime = environments.get("stage")
        # The in-memory runtime has no monitor of its own: the one a FleetRuntime builds, on no
        # load balancer metrics and an empty metrics store.
        runtime.alarms = AlarmMonitor(  # type: ignore[union-attr]
            fleet, "stage", list(fleet.services), metrics=None,
            stored=StoredMetrics(api.store.metrics, "stage", lambda service: f"restaurant-{service}"),
        )  # fmt: skip
        api.app.state.environments = environments
        with serving(api.app) as url:
            yield boto3.client(
                "cloudwatch", endpoint_url=url, region_name=REGION, aws_access_key_id=api.tokens[Role.VIEWER],
                aws_secret_access_key="unused", config=Config(retries={"max_attempts": 1}),
            )  # fmt: skip


def _shown(alarm: dict[str, Any]) -> tuple[Any, ...]:
    return (
        alarm["AlarmName"],
        alarm["Namespace"],
        alarm["MetricName"],
        alarm["Dimensions"],
        alarm["AlarmActions"],
    )


def test_each_alarm_shows_the_metric_it_watches_and_the_policies_it_runs(cloudwatch: Any) -> None:
    found = cloudwatch.describe_alarms(AlarmNames=["orders-cpu-high", "restaurant-orders-high-5xx"])
    orders = "arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:"
    alarms = sorted(found["MetricAlarms"], key=lambda a: a["AlarmName"])
    assert [_shown(a)[:4] for a in alarms] == [
        ("orders-cpu-high", "AWS/EC2", "CPUUtilization", [
            {"Name": "AutoScalingGroupName", "Value": "restaurant-orders"},
        ]),
        ("restaurant-orders-high-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", [
            {"Name": "TargetGroup", "Value": "targetgroup/orders/0000000000000005"},
            {"Name": "LoadBalancer", "Value": alarms[1]["Dimensions"][1]["Value"]},
        ]),
    ]  # fmt: skip
    (action,) = alarms[0]["AlarmActions"]
    assert action.startswith(orders) and action.endswith(
        ":autoScalingGroupName/restaurant-orders:policyName/orders-scale-out"
    )
    assert alarms[1]["AlarmActions"] == []


def test_alarms_of_no_service_are_shown(cloudwatch: Any) -> None:
    found = cloudwatch.describe_alarms(AlarmNamePrefix="deployment-")["MetricAlarms"]
    assert [_shown(a) for a in found] == [
        ("deployment-errors-high", "fleetops/Deployments", "DeploymentSuccessRate", [], []),
        ("deployment-failure-critical", "fleetops/Deployments", "DeploymentSuccessRate", [], []),
    ]


def test_composite_alarms_are_shown_when_asked_for(cloudwatch: Any) -> None:
    assert cloudwatch.describe_alarms(AlarmNamePrefix="orchestrator")["CompositeAlarms"] == []
    found = cloudwatch.describe_alarms(AlarmTypes=["CompositeAlarm"])
    assert found["MetricAlarms"] == []
    (page,) = found["CompositeAlarms"]
    assert (page["AlarmName"], page["AlarmRule"], page["StateValue"], page["ActionsEnabled"]) == (
        "orchestrator-page",
        "ALARM(state-machine-down) OR ALARM(deployment-failure-critical)",
        "OK",  # its alarms treat missing data as not breaching
        True,
    )
    both = cloudwatch.describe_alarms(
        AlarmTypes=["MetricAlarm", "CompositeAlarm"], AlarmNamePrefix="orchestrator"
    )
    assert [a["AlarmName"] for a in both["CompositeAlarms"]] == ["orchestrator-page"]


def test_a_metric_math_alarm_shows_its_metrics(cloudwatch: Any) -> None:
    (rate,) = cloudwatch.describe_alarms(AlarmNames=["handler-error-rate"])["MetricAlarms"]
    assert ("MetricName" in rate, "Namespace" in rate, "Period" in rate) == (False, False, False)
    counts = [
        {
            "Id": qid,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {"Namespace": "fleetops/Deployments", "MetricName": metric, "Dimensions": []},
                "Period": 300,
                "Stat": "Sum",
            },
        }
        for qid, metric in (("errors", "TaskHandlerErrors"), ("invocations", "TaskHandlerInvocations"))
    ]
    assert rate["Metrics"] == [
        *counts,
        {
            "Id": "rate",
            "Expression": "errors / invocations * 100",
            "Label": "Handler error rate (%)",
            "ReturnData": True,
        },
    ]


def test_each_environment_has_a_dashboard_of_its_services_and_alarms(cloudwatch: Any) -> None:
    (entry,) = cloudwatch.list_dashboards()["DashboardEntries"]
    assert entry["DashboardName"] == "restaurant-stage-dashboard"
    found = cloudwatch.get_dashboard(DashboardName="restaurant-stage-dashboard")
    widgets = json.loads(found["DashboardBody"])["widgets"]
    metrics = [w for w in widgets if w["type"] == "metric"]
    assert len(metrics) == 3 * 6  # traffic, response time and CPU of each of the 6 services
    assert metrics[2]["properties"]["metrics"] == [
        ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", "restaurant-auth"]
    ]
    (alarms,) = [w for w in widgets if w["type"] == "alarm"]
    assert "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-cpu-high" in alarms["properties"]["alarms"]
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_dashboard(DashboardName="demo-flask-app-prod-dashboard")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"
