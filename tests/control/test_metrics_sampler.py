"""Metrics sampled from real processes into the store: a CPU-burning version shows in
``AWS/EC2 CPUUtilization`` of its group, a leaking one in ``CWAgent mem_used_percent``, and their
alarms fire; the group's sizes are recorded too."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from fleetops.control.fleet import FleetRuntime, RuntimeSettings
from fleetops.control.metrics_sampler import MetricsSampler, host_memory_bytes
from fleetops.ops.metrics.statistics import datapoints
from fleetops.providers.base import InstanceInfo, InstanceState, TargetHealth
from fleetops.providers.local.datastores import DatastoreHealth
from fleetops.store import Store
from fleetops.store.metrics import Series

from .conftest import MakeRuntime, wait_until

pytestmark = pytest.mark.haproxy
SETTINGS = RuntimeSettings(failure_timeout_s=10, save_interval_s=0.1, metrics_interval_s=0.5)
GROUP = "AutoScalingGroupName=test-dev-menu"


def _maximum(store: Store, namespace: str, metric: str) -> float | None:
    now = datetime.now(UTC)
    rows = store.metrics.read(Series("dev", namespace, metric, GROUP), now - timedelta(minutes=5), now)
    points = datapoints(rows, start=now - timedelta(minutes=5), end=now, period_s=300, statistics=["Maximum"])
    return points[-1].values["Maximum"] if points else None


CPU_ALARM = {
    "service": "menu",
    "namespace": "AWS/EC2",
    "metric": "CPUUtilization",
    "statistic": "Maximum",
    "period": "2s",
    "threshold": 20,
}


def _cpu_alarm(runtime: FleetRuntime) -> tuple[str, str]:
    [status] = runtime.alarms.describe(service="menu")
    return status.state.value, status.reason


def test_a_cpu_burning_version_shows_in_cpu_utilization(runtimes: MakeRuntime) -> None:
    # `hot` instances keep a thread spinning (FAULT_CPU_BURN=1): about one core each.
    runtime = runtimes({"menu": {}}, initial_version="hot", settings=SETTINGS, alarms={"cpu-burn": CPU_ALARM})
    wait_until(lambda: (_maximum(runtime.store, "AWS/EC2", "CPUUtilization") or 0) > 20, 30, "CPU over 20%")
    # Its alarm on the stored metric (by the service's group) goes into ALARM.
    wait_until(lambda: _cpu_alarm(runtime)[0] == "ALARM", 30, "cpu-burn in ALARM")
    assert _cpu_alarm(runtime)[1].startswith("Threshold Crossed: 1 out of the last 1 datapoint [")
    assert (_maximum(runtime.store, "fleetops/Instances", "MemoryRSS") or 0) > 1_000_000
    assert 0 < (_maximum(runtime.store, "CWAgent", "mem_used_percent") or 0) < 100
    assert (_maximum(runtime.store, "fleetops/Instances", "OpenSockets") or 0) >= 1  # its listener
    assert _maximum(runtime.store, "AWS/AutoScaling", "GroupInServiceInstances") == 1.0
    assert _maximum(runtime.store, "fleetops/Instances", "Restarts") == 0.0
    assert _maximum(runtime.store, "AWS/AutoScaling", "GroupDesiredCapacity") == 1.0
    instance = runtime.provider.instances("menu")[0].id
    listed = runtime.store.metrics.series("dev", datetime.now(UTC) - timedelta(minutes=5))
    assert {(s.namespace, s.metric, s.dimensions) for s in listed} == {
        ("AWS/AutoScaling", "GroupDesiredCapacity", GROUP),
        ("AWS/AutoScaling", "GroupInServiceInstances", GROUP),
        ("AWS/EC2", "CPUUtilization", GROUP),
        ("AWS/EC2", "CPUUtilization", f"InstanceId={instance}"),
        ("CWAgent", "mem_used_percent", GROUP),
        ("CWAgent", "mem_used_percent", f"InstanceId={instance}"),
        ("fleetops/Instances", "MemoryRSS", GROUP),
        ("fleetops/Instances", "MemoryRSS", f"InstanceId={instance}"),
        ("fleetops/Instances", "OpenSockets", GROUP),
        ("fleetops/Instances", "Restarts", GROUP),
        ("fleetops/Instances", "OpenSockets", f"InstanceId={instance}"),
    }


def _memory_alarm(runtime: FleetRuntime) -> str:
    [status] = runtime.alarms.describe(service="menu")
    return status.state.value


def _mem_used(runtime: FleetRuntime) -> list[float]:
    now = datetime.now(UTC)
    rows = runtime.store.metrics.read(
        Series("dev", "CWAgent", "mem_used_percent", GROUP), now - timedelta(minutes=5), now
    )
    return [row.total for row in rows]


def test_a_leaking_version_grows_mem_used_percent_and_its_alarm_fires(runtimes: MakeRuntime) -> None:
    # `leaky` instances keep 20 MB more every second (FAULT_MEMORY_GROWTH=20), up to 256 MB.
    megabytes = 100.0 * 1_048_576 / host_memory_bytes()  # 1 MB in mem_used_percent
    alarm = {**CPU_ALARM, "namespace": "CWAgent", "metric": "mem_used_percent", "threshold": 150 * megabytes}
    runtime = runtimes(
        {"menu": {}}, initial_version="leaky", settings=SETTINGS, alarms={"memory-high": alarm}
    )
    wait_until(lambda: len(_mem_used(runtime)) >= 1, 30, "a first memory sample")
    first = _mem_used(runtime)[0]
    wait_until(lambda: _mem_used(runtime)[-1] - first >= 40 * megabytes, 30, "40 MB more resident memory")
    wait_until(lambda: _memory_alarm(runtime) == "ALARM", 30, "memory-high in ALARM")


def test_datastores_connections_and_size_are_sampled_less_often(sqlite_store: Store) -> None:
    health = [
        DatastoreHealth("orders-db", "postgres", True, "SELECT 1 answered", 5432, 3, 7_000_000),
        DatastoreHealth("cache", "redis", True, "PING answered PONG", 6379, 1, 900_000),
        DatastoreHealth("down", "postgres", False, "refused", 5433, None, None),
    ]
    calls: list[int] = []

    def datastores() -> list[DatastoreHealth]:
        calls.append(1)
        return health

    sampler = MetricsSampler(
        sqlite_store.metrics,
        "dev",
        services=[],
        group_name=str,
        instances=lambda _service: [],
        usage=lambda _id: None,
        desired=lambda _service: None,
        datastores=datastores,
        datastore_interval_s=3600,
    )
    first = sampler.sample()
    second = sampler.sample()
    assert sorted((s.namespace, s.metric, s.dimensions, s.value) for s in first) == [
        ("fleetops/Datastores", "Connections", "DatastoreName=cache", 1.0),
        ("fleetops/Datastores", "Connections", "DatastoreName=orders-db", 3.0),
        ("fleetops/Datastores", "SizeBytes", "DatastoreName=cache", 900_000.0),
        ("fleetops/Datastores", "SizeBytes", "DatastoreName=orders-db", 7_000_000.0),
    ]
    assert second == []
    assert len(calls) == 1


def test_a_replacement_instance_is_counted_once_in_restarts(sqlite_store: Store) -> None:
    listed: list[InstanceInfo] = []
    sampler = MetricsSampler(
        sqlite_store.metrics,
        "dev",
        services=["menu"],
        group_name=lambda service: f"shop-dev-{service}",
        instances=lambda _service: listed,
        usage=lambda _id: None,
        desired=lambda _service: None,
    )

    def restarts() -> float:
        [sample] = [s for s in sampler.sample() if s.metric == "Restarts"]
        return sample.value

    first = datetime(2026, 12, 7, tzinfo=UTC)
    listed.append(
        InstanceInfo(
            "i-1", "menu", "v1", InstanceState.IN_SERVICE, "127.0.0.1", 1, first, TargetHealth.HEALTHY
        )
    )
    assert restarts() == 0.0
    listed.append(replace(listed[0], id="i-2", replaces="i-1"))
    assert [restarts(), restarts()] == [1.0, 0.0]
