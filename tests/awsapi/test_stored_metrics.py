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
from botocore.exceptions import ClientError

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
            + [  # the orchestrator's counts: 1 of 4 handler calls failed, then 0 of 0
                Sample("dev", "fleetops/Deployments", metric, "", START + timedelta(seconds=s), value)
                for s, metric, value in (
                    (0, "TaskHandlerErrors", 1.0), (0, "TaskHandlerInvocations", 4.0),
                    (60, "TaskHandlerErrors", 0.0), (60, "TaskHandlerInvocations", 0.0),
                )
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


def _stat(qid: str, metric: str, *, returned: bool = False) -> dict[str, Any]:
    stat = {
        "Metric": {"Namespace": "fleetops/Deployments", "MetricName": metric},
        "Period": 60,
        "Stat": "Sum",
    }
    return {"Id": qid, "MetricStat": stat, "ReturnData": returned}


def test_get_metric_data_evaluates_metric_math(cloudwatch: Any) -> None:
    # Seed 001's handler error rate: 0 of 0 calls is no datapoint (a division by zero).
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            _stat("errors", "TaskHandlerErrors", returned=True),
            _stat("calls", "TaskHandlerInvocations"),
            {"Id": "rate", "Expression": "errors / calls * 100", "Label": "Error rate"},
            {"Id": "both", "Expression": "METRICS() * 2"},
        ],
        StartTime=START, EndTime=START + timedelta(minutes=3), ScanBy="TimestampAscending",
    )  # fmt: skip
    results = [(r["Id"], r["Label"], r["Timestamps"], r["Values"]) for r in answer["MetricDataResults"]]
    minute = START + timedelta(minutes=1)
    assert results == [
        ("errors", "TaskHandlerErrors", [START, minute], [1.0, 0.0]),
        ("rate", "Error rate", [START], [25.0]),
        ("both", "both errors", [START, minute], [2.0, 0.0]),
        ("both", "both calls", [START, minute], [8.0, 0.0]),
    ]


@pytest.mark.parametrize(
    ("queries", "message"),
    [
        ([{"Id": "rate", "Expression": "errors / calls"}], "no query has the id 'errors'"),
        ([{"Id": "Rate", "Expression": "TIME_SERIES(1)"}], "The value 'Rate' for Id is invalid"),
        ([{"Id": "a", "Expression": "b"}, {"Id": "b", "Expression": "a"}], "in a cycle: a -> b -> a"),
        ([{"Id": "a", "Expression": "SUMM(1)"}], "Error in expression 'a': column 1: unknown function SUMM"),
        (
            [_stat("calls", "TaskHandlerInvocations"), {"Id": "a", "Expression": "AVG(calls)"}],
            "its result is a single number",
        ),
    ],
)
def test_get_metric_data_refuses_bad_metric_math(
    cloudwatch: Any, queries: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_data(
            MetricDataQueries=queries, StartTime=START, EndTime=START + timedelta(minutes=3)
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterValue"
    assert message in error["Message"]
