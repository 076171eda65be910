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
