"""``aws elbv2``, ``aws cloudwatch`` and ``aws logs`` (the real AWS CLI, and boto3) against the
example fleet: load balancers and target health, alarms and metrics, log groups and events."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from fleetops.testing.aws import LOOK_EVERY, AwsFleet, aws_fleet
from fleetops.testing.example import NotificationSinks
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

MENU_TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/menu/0000000000000002"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, sinks: NotificationSinks) -> Iterator[AwsFleet]:
    with aws_fleet(tmp_path_factory.mktemp("awsobs"), sinks) as running:
        yield running


def _health(fleet: AwsFleet) -> dict[str, str]:
    found = fleet.aws_json("elbv2", "describe-target-health", "--target-group-arn", MENU_TG)
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in found["TargetHealthDescriptions"]}


def _dimension(fleet: AwsFleet, service: str) -> str:
    arn = fleet.aws_json("elbv2", "describe-load-balancers", "--names", service)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    return str(arn.split(":loadbalancer/", 1)[1])


def test_load_balancers_and_target_groups_are_the_services(fleet: AwsFleet) -> None:
    balancers = fleet.aws_json("elbv2", "describe-load-balancers")["LoadBalancers"]
    assert [b["LoadBalancerName"] for b in balancers] == [
        "auth", "menu", "notifications", "payments", "orders", "gateway",
    ]  # fmt: skip
    menu = balancers[1]
    assert menu["DNSName"] == fleet.service("menu")["endpoint"].removeprefix("http://")
    groups = fleet.aws_json(
        "elbv2", "describe-target-groups", "--load-balancer-arn", menu["LoadBalancerArn"]
    )["TargetGroups"]
    assert [(g["TargetGroupArn"], g["HealthCheckPath"], g["HealthyThresholdCount"]) for g in groups] == [
        (MENU_TG, "/health", 2)
    ]
    (listener,) = fleet.client("elbv2").describe_listeners(LoadBalancerArn=menu["LoadBalancerArn"])[
        "Listeners"
    ]
    assert (listener["Port"], listener["Protocol"], listener["DefaultActions"][0]["TargetGroupArn"]) == (
        int(menu["DNSName"].rsplit(":", 1)[1]), "HTTP", MENU_TG,
    )  # fmt: skip
    # The aws executable itself, once (the other commands run its driver in this process).
    missing = fleet.aws("elbv2", "describe-target-groups", "--names", "nope", process=True)
    assert missing.returncode == 255 and "(TargetGroupNotFound)" in missing.stderr


def test_target_health_changes_when_an_instance_is_killed(fleet: AwsFleet) -> None:
    before = _health(fleet)
    assert list(before.values()) == ["healthy", "healthy"]
    victim = sorted(before)[0]
    pid_file = fleet.folder / ".fleetops" / "envs" / "dev" / "pids" / f"{victim}.pid"
    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
    wait_until(
        lambda: _health(fleet).get(victim) != "healthy",
        timeout=30,
        interval=LOOK_EVERY,
        what=f"{victim} not healthy",
    )
    after = wait_until(
        lambda: (
            (h := _health(fleet)) and sorted(h.values()) == ["healthy", "healthy"] and victim not in h and h
        ),
        timeout=60,
        interval=LOOK_EVERY,
        what="a healthy replacement",
    )
    assert len(set(after) - set(before)) == 1


def test_describe_alarms_lists_each_services_alarms_by_state_and_name(fleet: AwsFleet) -> None:
    alarms = fleet.aws_json("cloudwatch", "describe-alarms", "--alarm-name-prefix", "restaurant-orders-")
    assert [(a["AlarmName"], a["MetricName"], a["Threshold"]) for a in alarms["MetricAlarms"]] == [
        ("restaurant-orders-high-5xx", "HTTPCode_Target_5XX_Count", 5.0),
        ("restaurant-orders-slow-p99", "TargetResponseTime", 0.5),
    ]
    slow = alarms["MetricAlarms"][1]
    assert (slow["ExtendedStatistic"], slow["Period"], slow["EvaluationPeriods"]) == ("p99", 5, 3)
    named = fleet.aws_json("cloudwatch", "describe-alarms", "--alarm-names", "restaurant-orders-high-5xx")
    assert [a["AlarmName"] for a in named["MetricAlarms"]] == ["restaurant-orders-high-5xx"]
    in_alarm = fleet.aws_json("cloudwatch", "describe-alarms", "--state-value", "ALARM")
    assert in_alarm["MetricAlarms"] == []


def _state(fleet: AwsFleet, name: str) -> tuple[str, str, bool]:
    alarm = fleet.aws_json("cloudwatch", "describe-alarms", "--alarm-names", name)["MetricAlarms"][0]
    return alarm["StateValue"], alarm["StateReason"], alarm["ActionsEnabled"]


def test_set_alarm_state_holds_until_the_next_evaluation(fleet: AwsFleet) -> None:
    name = "restaurant-menu-high-5xx"
    wait_until(lambda: _state(fleet, name)[0] == "OK", interval=LOOK_EVERY, what="menu's high-5xx OK")
    fleet.aws_json(
        "cloudwatch",
        "set-alarm-state",
        "--alarm-name",
        name,
        "--state-value",
        "ALARM",
        "--state-reason",
        "drill",
    )
    assert _state(fleet, name) == ("ALARM", "drill", True)
    wait_until(
        lambda: _state(fleet, name)[0] == "OK",
        timeout=20,
        interval=LOOK_EVERY,
        what="the alarm evaluated OK again",
    )
    unknown = fleet.aws("cloudwatch", "set-alarm-state", "--alarm-name", "nope", "--state-value", "OK",
                        "--state-reason", "x")  # fmt: skip
    assert unknown.returncode == 255 and "(ResourceNotFound)" in unknown.stderr


def test_alarm_actions_are_disabled_and_enabled(fleet: AwsFleet) -> None:
    names = ["restaurant-gateway-high-5xx", "restaurant-gateway-slow-p99"]
    fleet.aws_json("cloudwatch", "disable-alarm-actions", "--alarm-names", *names)
    assert [_state(fleet, n)[2] for n in names] == [False, False]
    fleet.aws_json("cloudwatch", "enable-alarm-actions", "--alarm-names", names[0])
    assert [_state(fleet, n)[2] for n in names] == [True, False]
    audit = fleet.fleetops("audit", "--action", "cloudwatch.*", "-o", "json")
    assert [e["action"] for e in json.loads(audit.stdout)["entries"]][:2] == [
        "cloudwatch.EnableAlarmActions",
        "cloudwatch.DisableAlarmActions",
    ]


def _sum(datapoints: list[dict[str, Any]], key: str = "Sum") -> float:
    return sum(float(point[key]) for point in datapoints)


def test_metric_statistics_count_the_requests_the_load_balancer_served(fleet: AwsFleet) -> None:
    # Nothing else calls the gateway (orders' health calls payments, for one).
    endpoint = fleet.service("gateway")["endpoint"]
    start = int(time.time()) - 60
    with httpx.Client() as client:
        assert [client.get(endpoint + "/health").status_code for _ in range(25)] == [200] * 25
    dimension = f"Name=LoadBalancer,Value={_dimension(fleet, 'gateway')}"

    def counted() -> Any:
        found = fleet.aws_json(
            "cloudwatch", "get-metric-statistics", "--namespace", "AWS/ApplicationELB",
            "--metric-name", "HTTPCode_Target_2XX_Count", "--dimensions", dimension,
            "--start-time", str(start), "--end-time", str(int(time.time()) + 60), "--period", "60",
            "--statistics", "Sum",
        )  # fmt: skip
        return _sum(found["Datapoints"]) == 25 and found

    found = wait_until(counted, interval=LOOK_EVERY, what="25 requests counted")
    assert {point["Unit"] for point in found["Datapoints"]} == {"Count"}
    client = fleet.client("cloudwatch")
    now = time.time()
    data = client.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "latency",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ApplicationELB",
                        "MetricName": "RequestCount",
                        "Dimensions": [{"Name": "LoadBalancer", "Value": _dimension(fleet, "gateway")}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=start,
        EndTime=now + 60,
    )
    (result,) = data["MetricDataResults"]
    assert (result["Id"], result["StatusCode"], sum(result["Values"])) == ("latency", "Complete", 25.0)
    unpublished = client.get_metric_statistics(
        Namespace="AWS/EC2", MetricName="CPUUtilization", StartTime=start, EndTime=now, Period=60,
        Statistics=["Average"],
    )  # fmt: skip
    assert unpublished["Datapoints"] == []
    with pytest.raises(ClientError) as caught:
        client.get_metric_statistics(
            Namespace="AWS/ApplicationELB", MetricName="RequestCount", StartTime=start, EndTime=now, Period=7,
            Statistics=["Sum"],
        )  # fmt: skip
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_log_groups_and_filtered_events(fleet: AwsFleet) -> None:
    groups = fleet.aws_json("logs", "describe-log-groups", "--log-group-name-prefix", "/aws/ec2/restaurant-")
    assert [g["logGroupName"] for g in groups["logGroups"]] == [
        f"/aws/ec2/restaurant-{s}"
        for s in sorted(["auth", "menu", "notifications", "payments", "orders", "gateway"])
    ]
    endpoint = fleet.service("notifications")["endpoint"]
    since = int(time.time() * 1000)
    assert httpx.get(endpoint + "/no-such-path").status_code == 404

    def found() -> Any:
        events = fleet.aws_json(
            "logs", "filter-log-events", "--log-group-name", "/aws/ec2/restaurant-notifications",
            "--filter-pattern", '{ $.path = "/no-such-path" }', "--start-time", str(since),
        )["events"]  # fmt: skip
        return events

    (event,) = wait_until(found, interval=LOOK_EVERY, what="the request's log event")
    record = json.loads(event["message"])
    assert (record["path"], record["status"], event["logStreamName"]) == (
        "/no-such-path",
        404,
        record["instance"],
    )
    page = fleet.client("logs").filter_log_events(logGroupName="/aws/ec2/restaurant-notifications", limit=3)
    assert len(page["events"]) == 3 and "nextToken" in page
    missing = fleet.aws("logs", "filter-log-events", "--log-group-name", "/aws/ec2/nope")
    assert missing.returncode == 255 and "(ResourceNotFoundException)" in missing.stderr


def test_a_logs_insights_query_runs_over_the_group(fleet: AwsFleet) -> None:
    endpoint = fleet.service("notifications")["endpoint"]
    assert [httpx.get(endpoint + "/query-probe").status_code for _ in range(3)] == [404] * 3
    query = 'filter path = "/query-probe" | stats count(*) as n'

    def counted() -> Any:
        return _query(fleet, query) == [[{"field": "n", "value": "3"}]]

    wait_until(counted, interval=LOOK_EVERY, what="the query counting the 3 requests")


def _query(fleet: AwsFleet, query: str) -> Any:
    started = fleet.aws_json(
        "logs", "start-query", "--log-group-name", "/aws/ec2/restaurant-notifications",
        "--start-time", str(int(time.time()) - 3600), "--end-time", str(int(time.time()) + 60),
        "--query-string", query,
    )  # fmt: skip
    results = fleet.aws_json("logs", "get-query-results", "--query-id", started["queryId"])
    assert results["status"] == "Complete"
    return results["results"]


def _history(fleet: AwsFleet) -> list[tuple[str, str]]:
    found = httpx.get(
        f"{fleet.url}/api/v1/alarms/orders-cpu-high/history",
        params={"environment": "dev"},
        headers={"Authorization": f"Bearer {fleet.token}"},
    ).json()["history"]
    return [
        (item["summary"], item["reason"]) for item in found if item["summary"].startswith("Scaling policy")
    ]


def test_an_alarm_runs_the_simple_scaling_policy_its_actions_name(fleet: AwsFleet) -> None:
    autoscaling, cloudwatch = fleet.client("autoscaling"), fleet.client("cloudwatch")
    # Seed 004's command, on orders (whose orders-cpu-high alarm names orders-scale-out).
    put = autoscaling.put_scaling_policy(
        AutoScalingGroupName="restaurant-orders", PolicyName="orders-scale-out", ScalingAdjustment=1,
        AdjustmentType="ChangeInCapacity", Cooldown=600,
    )  # fmt: skip
    assert put["Alarms"] == [
        {
            "AlarmName": "orders-cpu-high",
            "AlarmARN": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-cpu-high",
        }
    ]
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=["orders-cpu-high"])["MetricAlarms"]
    assert alarm["AlarmActions"] == [put["PolicyARN"]]

    def set_state(state: str) -> None:
        cloudwatch.set_alarm_state(AlarmName="orders-cpu-high", StateValue=state, StateReason="drill")

    set_state("ALARM")
    wait_until(lambda: _history(fleet), interval=LOOK_EVERY, what="the policy run recorded")
    assert _history(fleet) == [("Scaling policy orders-scale-out run", "desired capacity 2 -> 3")]
    set_state("OK")
    set_state("ALARM")  # within the policy's 600 s cooldown
    wait_until(lambda: len(_history(fleet)) == 2, interval=LOOK_EVERY, what="the second run recorded")
    assert _history(fleet)[0][0] == "Scaling policy orders-scale-out not run"
    assert "cooldown" in _history(fleet)[0][1]
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["restaurant-orders"])
    activity = autoscaling.describe_scaling_activities(AutoScalingGroupName="restaurant-orders")[
        "Activities"
    ][0]
    assert (group["AutoScalingGroups"][0]["DesiredCapacity"], activity["Cause"].split(": ", 1)[1]) == (
        3, "a monitor alarm orders-cpu-high in state ALARM triggered policy orders-scale-out.",
    )  # fmt: skip
    set_state("OK")
    autoscaling.set_desired_capacity(AutoScalingGroupName="restaurant-orders", DesiredCapacity=2)
    autoscaling.delete_policy(AutoScalingGroupName="restaurant-orders", PolicyName="orders-scale-out")
