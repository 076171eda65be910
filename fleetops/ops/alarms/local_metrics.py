"""``LocalMetrics``: the metrics of the local provider's services, collected into a ``MetricStore``.

Load-balancer metrics come from HAProxy's access log (``fleetops.ops.alarms.elb_metrics``),
read incrementally by a ``LogFollower``; ``HealthyHostCount`` and ``UnHealthyHostCount`` are
sampled from the provider's instances at each collection (ALB counts the registered targets of
each health; draining ones are neither).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from fleetops.ops.alarms.elb_metrics import (
    HEALTHY_HOST_COUNT,
    LOCAL_METRICS,
    UNHEALTHY_HOST_COUNT,
    VALUE_METRICS,
    request_metrics,
    timestamp_ms,
    written_at,
)
from fleetops.ops.alarms.log_follower import LogFollower
from fleetops.ops.alarms.metric_store import MetricStore
from fleetops.providers.base import InstanceInfo, InstanceState, TargetHealth

Instances = Callable[[str], Sequence[InstanceInfo]]
"""A service's instances now (``Provider.instances``)."""
_REGISTERED = (InstanceState.PENDING, InstanceState.IN_SERVICE)


class LocalMetrics:
    """Collects the local provider's metrics of ``services`` (see the module docstring)."""

    known = LOCAL_METRICS
    """The metric names it provides, for every service."""
    value_metrics = VALUE_METRICS

    def __init__(self, access_log: Path, instances: Instances | None, services: Sequence[str]) -> None:
        """``instances`` None: no host counts (only what the access log tells)."""
        self.follower = LogFollower(access_log, written_at)
        self._instances = instances
        self._services = tuple(services)

    def collect(self, store: MetricStore, now_ms: int) -> None:
        """Add what happened since the last collection (on the first: the store's window)."""
        for record in self.follower.read(now_ms - store.retention_ms):
            service, stamp = record.get("service"), record.get("timestamp")
            if not isinstance(service, str) or not isinstance(stamp, str):
                continue
            try:
                at = timestamp_ms(stamp)
            except ValueError:
                continue
            store.add_all(service, at, request_metrics(record))
        if self._instances is not None:
            for service in self._services:
                infos = [i for i in self._instances(service) if i.state in _REGISTERED]
                healthy = sum(1 for i in infos if i.health is TargetHealth.HEALTHY)
                unhealthy = sum(1 for i in infos if i.health is TargetHealth.UNHEALTHY)
                store.add(service, HEALTHY_HOST_COUNT, now_ms, healthy)
                store.add(service, UNHEALTHY_HOST_COUNT, now_ms, unhealthy)
        store.prune(now_ms)


def local_metrics(provider: object, services: Sequence[str]) -> LocalMetrics | None:
    """The metrics of ``provider`` if it is a local one (it has an ``access_log``), else None."""
    access_log = getattr(provider, "access_log", None)
    if not isinstance(access_log, Path):
        return None
    instances = getattr(provider, "instances", None)
    return LocalMetrics(access_log, instances if callable(instances) else None, services)
