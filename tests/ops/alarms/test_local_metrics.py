"""The local provider's metrics: requests from the access log, host counts from the instances."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fleetops.ops.alarms import LocalMetrics, MetricStore
from fleetops.ops.alarms.elb_metrics import VALUE_METRICS
from fleetops.providers.base import InstanceInfo, InstanceState, TargetHealth

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NOW_MS = int(T0.timestamp() * 1000) + 10_000


def instance(n: int, state: InstanceState, health: TargetHealth) -> InstanceInfo:
    return InstanceInfo(f"menu-{n}", "menu", "v1", state, "127.0.0.1", 9000 + n, T0, health)


def test_host_counts_are_sampled_from_registered_instances(tmp_path: Path) -> None:
    instances = [
        instance(1, InstanceState.IN_SERVICE, TargetHealth.HEALTHY),
        instance(2, InstanceState.IN_SERVICE, TargetHealth.UNHEALTHY),
        instance(3, InstanceState.PENDING, TargetHealth.INITIAL),
        instance(4, InstanceState.DRAINING, TargetHealth.DRAINING),
    ]
    metrics = LocalMetrics(tmp_path / "access.jsonl", lambda service: instances, ["menu"])
    store = MetricStore(resolution_ms=1000, retention_ms=60_000, value_metrics=VALUE_METRICS)
    metrics.collect(store, NOW_MS)
    start = NOW_MS // 1000 * 1000
    assert [
        store.datapoints("menu", metric, "Maximum", period_ms=1000, starts=[start])
        for metric in ("HealthyHostCount", "UnHealthyHostCount")
    ] == [[1.0], [1.0]]


def test_requests_of_the_log_become_samples_of_their_service(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    line = {"timestamp": "2026-11-22T12:00:05.000Z", "service": "menu", "instance": "menu-1", "status": 503}
    lines = [line | {"response_time_ms": 7}, {"msg": "not a request"}]
    log.write_text("".join(json.dumps(record) + "\n" for record in lines))
    store = MetricStore(resolution_ms=1000, retention_ms=60_000, value_metrics=VALUE_METRICS)
    LocalMetrics(log, None, ["menu"]).collect(store, NOW_MS)
    start = int(T0.timestamp() * 1000)
    names = ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "TargetResponseTime")
    found = {name: store.datapoints("menu", name, "Sum", period_ms=10_000, starts=[start]) for name in names}
    assert found == {
        "RequestCount": [1.0],
        "HTTPCode_Target_5XX_Count": [1.0],
        "HTTPCode_ELB_5XX_Count": [None],
        "TargetResponseTime": [0.007],
    }
