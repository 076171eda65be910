"""GetMetricStatistics and GetMetricData of the metrics fleetops records (CPU, memory, group
sizes) against one in-process control plane whose store holds samples put by the test (the
sampler that writes them is tested in tests/control)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from fleetops.server.roles import Role
from fleetops.spec.loader import load_fleet
from fleetops.store.metrics import Sample
from fleetops.testing.api import api_harness
from fleetops.testing.aws import REGION
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.local import EXAMPLES
from fleetops.testing.sfn import serving

START = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
GROUP = [{"Name": "AutoScalingGroupName", "Value": "restaurant-menu"}]


@pytest.fixture(scope="module")
def cloudwatch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with api_harness(tmp_path_factory.mktemp("metrics") / "state") as api:
        api.app.state.environments = in_memory_environments(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
        api.store.metrics.put(
            [
                Sample("dev", "AWS/EC2", "CPUUtilization", "AutoScalingGroupName=restaurant-menu",
                       START + timedelta(seconds=s), value)
                for s, value in ((0, 10.0), (10, 30.0), (70, 50.0))
            ]
        )  # fmt: skip
        with serving(api.app) as url:
            yield boto3.client(
                "cloudwatch", endpoint_url=url, region_name=REGION, aws_access_key_id=api.tokens[Role.VIEWER],
                aws_secret_access_key="unused", config=Config(retries={"max_attempts": 1}),
            )  # fmt: skip


def test_get_metric_statistics_reads_a_groups_recorded_cpu(cloudwatch: Any) -> None:
    answer = cloudwatch.get_metric_statistics(
        Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=GROUP, StartTime=START,
        EndTime=START + timedelta(minutes=3), Period=60, Statistics=["Average", "Maximum", "SampleCount"],
    )  # fmt: skip
    points = sorted(answer["Datapoints"], key=lambda p: p["Timestamp"])
    assert [(p["Timestamp"], p["Average"], p["Maximum"], p["SampleCount"], p["Unit"]) for p in points] == [
        (START, 20.0, 30.0, 2.0, "Percent"),
        (START + timedelta(minutes=1), 50.0, 50.0, 1.0, "Percent"),
    ]


def test_get_metric_data_reads_it_too_and_other_dimensions_have_no_data(cloudwatch: Any) -> None:
    def query(qid: str, dimensions: list[dict[str, str]]) -> dict[str, Any]:
        metric = {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Dimensions": dimensions}
        return {"Id": qid, "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Maximum"}}

    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[query("menu", GROUP), query("other", [{**GROUP[0], "Value": "x"}])],
        StartTime=START, EndTime=START + timedelta(minutes=3), ScanBy="TimestampAscending",
    )  # fmt: skip
    results = {r["Id"]: (r["Timestamps"], r["Values"]) for r in answer["MetricDataResults"]}
    assert results == {
        "menu": ([START, START + timedelta(minutes=1)], [30.0, 50.0]),
        "other": ([], []),
    }
