"""``/metrics``: the recorded metrics, listed and as datapoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet
from fleetops.store.metrics import Sample
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES

GROUP = "AutoScalingGroupName=restaurant-menu"


@pytest.fixture
def samples(api: ApiHarness) -> datetime:
    api.app.state.environments.put(InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev"))
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    api.store.metrics.put(
        [
            Sample("dev", "AWS/EC2", "CPUUtilization", GROUP, start + timedelta(seconds=5), 10.0),
            Sample("dev", "AWS/EC2", "CPUUtilization", GROUP, start + timedelta(seconds=35), 50.0),
            Sample("dev", "AWS/EC2", "CPUUtilization", GROUP, start + timedelta(seconds=65), 90.0),
            Sample("stage", "AWS/EC2", "CPUUtilization", GROUP, start + timedelta(seconds=5), 99.0),
        ]
    )
    return start


def test_statistics_per_period(api: ApiHarness, samples: datetime) -> None:
    params = {
        "namespace": "AWS/EC2",
        "metric": "CPUUtilization",
        "dimension": "AutoScalingGroupName=restaurant-menu",
        "period": 60,
        "statistics": "Average,Maximum",
        "since": "10m",
    }
    body = api.client(Role.VIEWER).get("/api/v1/metrics/statistics", params=params).json()
    assert (body["label"], body["unit"], body["environment"]) == ("CPUUtilization", "Percent", "dev")
    assert body["datapoints"] == [
        {"timestamp": samples.isoformat(), "Average": 30.0, "Maximum": 50.0},
        {"timestamp": (samples + timedelta(minutes=1)).isoformat(), "Average": 90.0, "Maximum": 90.0},
    ]


def test_the_list_names_each_series_of_the_environment(api: ApiHarness, samples: datetime) -> None:
    body = api.client(Role.VIEWER).get("/api/v1/metrics").json()
    assert body["metrics"] == [
        {
            "namespace": "AWS/EC2",
            "metric": "CPUUtilization",
            "dimensions": [{"name": "AutoScalingGroupName", "value": "restaurant-menu"}],
        }
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"statistics": "Mean"}, "statistics: unknown statistic 'Mean'"),
        ({"dimension": "AutoScalingGroupName"}, "dimension 'AutoScalingGroupName': expected Name=Value"),
        ({"period": 1, "since": "2d"}, "period 1s over 172800s gives more than 1440 datapoints"),
    ],
)
def test_bad_requests_are_400(
    api: ApiHarness, samples: datetime, params: dict[str, object], message: str
) -> None:
    query = {"namespace": "AWS/EC2", "metric": "CPUUtilization", **params}
    response = api.client(Role.VIEWER).get("/api/v1/metrics/statistics", params=query)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)


def test_an_expression_over_metrics_per_period(api: ApiHarness, samples: datetime) -> None:
    params = {
        "expression": "cpu / 100",
        "metric": "cpu=AWS/EC2/CPUUtilization:Maximum,AutoScalingGroupName=restaurant-menu",
        "since": "10m",
    }
    body = api.client(Role.VIEWER).get("/api/v1/metrics/math", params=params).json()
    assert body == {
        "environment": "dev",
        "label": "expression",
        "expression": "cpu / 100",
        "period": 60,
        "datapoints": [
            {"timestamp": samples.isoformat(), "value": 0.5},
            {"timestamp": (samples + timedelta(minutes=1)).isoformat(), "value": 0.9},
        ],
    }


def test_an_alarms_metrics_by_its_service_group(api: ApiHarness, samples: datetime) -> None:
    # The example's handler-error-rate alarm over the orchestrator's counts: 1 of 2 calls failed.
    api.store.metrics.put(
        [
            Sample("dev", "fleetops/Deployments", "TaskHandlerErrors", "", samples, 1.0),
            Sample("dev", "fleetops/Deployments", "TaskHandlerInvocations", "", samples, 2.0),
        ]
    )
    params = {"alarm": "handler-error-rate", "period": 300, "since": "10m"}
    body = api.client(Role.VIEWER).get("/api/v1/metrics/math", params=params).json()
    period_start = datetime.fromtimestamp(samples.timestamp() // 300 * 300, UTC)
    assert (body["label"], body["expression"], body["datapoints"]) == (
        "Handler error rate (%)",
        "errors / invocations * 100",
        [{"timestamp": period_start.isoformat(), "value": 50.0}],
    )


BAD_MATH = [
    ({"expression": "cpu / 2", "metric": "cpu=CPUUtilization"}, "metric 'cpu=CPUUtilization': expected ID="),
    ({"expression": "cpu / 100"}, "query expression: column 1: no query has the id 'cpu'"),
    ({"expression": "cpu +", "metric": "cpu=AWS/EC2/CPUUtilization"}, "expression: column 6: expected"),
    ({"expression": "cpu", "metric": "cpu=AWS/EC2/CPUUtilization"}, "query cpu: AWS/EC2 is by group: give"),
    ({"alarm": "high-5xx"}, "alarm high-5xx watches one metric (Sum of HTTPCode_Target_5XX_Count)"),
    ({}, "give an expression (with its metrics) or an alarm"),
]


def test_bad_math_requests_are_400(api: ApiHarness, samples: datetime) -> None:
    # One server for every case (each request changes nothing).
    client = api.client(Role.VIEWER)
    for params, message in BAD_MATH:
        response = client.get("/api/v1/metrics/math", params=params)
        assert (response.status_code, response.json()["message"][: len(message)]) == (400, message)
