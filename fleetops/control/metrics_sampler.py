"""``MetricsSampler``: records an environment's instance and group metrics in the store.

Every ``interval_s`` (a daemon thread, ``ops.periodic``) it samples each in-service instance's
process: CPU (the difference of its CPU seconds between two samples over the wall time between
them, in percent of one core, as the autoscaler measures it) and resident memory, and each
group's in-service and desired counts and its restarts (instances launched since the last sample
to replace one that exited or failed health), and every ``datastore_interval_s`` each datastore's
open connections and size (``fleetops/Datastores``, by ``DatastoreName``: a PostgreSQL query or
Redis INFO each, so less often); see ``ops.metrics.names`` for the names and dimensions.
Every ``housekeeping_s`` it folds raw samples older than ``raw_for`` into 5-minute periods and
deletes data older than ``keep_for``. It is given narrow callables, not the runtime.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from fleetops.ops.metrics.names import (
    CPU_UTILIZATION,
    DATASTORE_CONNECTIONS,
    DATASTORE_SIZE,
    DESIRED,
    IN_SERVICE,
    MEMORY_RSS,
    MEMORY_USED,
    OPEN_SOCKETS,
    RESTARTS,
    MetricName,
    dimension_key,
)
from fleetops.ops.periodic import Periodic
from fleetops.providers.base import InstanceInfo, InstanceState, ProcessUsage
from fleetops.providers.local.datastores import DatastoreHealth
from fleetops.store.metrics import MetricRepository, Sample

log = logging.getLogger(__name__)
DOWNSAMPLE_PERIOD_S = 300


def host_memory_bytes() -> int:
    """The machine's memory (``MemTotal``), the denominator of ``mem_used_percent``."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


class MetricsSampler:
    """Samples the metrics of ``services`` (see the module docstring)."""

    def __init__(
        self,
        repository: MetricRepository,
        environment: str,
        *,
        services: Sequence[str],
        group_name: Callable[[str], str],
        instances: Callable[[str], Sequence[InstanceInfo]],
        usage: Callable[[str], ProcessUsage | None],
        desired: Callable[[str], int | None],
        interval_s: float = 10.0,
        keep_for: timedelta = timedelta(days=15),
        raw_for: timedelta = timedelta(days=1),
        housekeeping_s: float = 600.0,
        datastores: Callable[[], Sequence[DatastoreHealth]] | None = None,
        datastore_interval_s: float = 60.0,
    ) -> None:
        self._repository = repository
        self._environment = environment
        self._services = tuple(services)
        self._group_name = group_name
        self._instances = instances
        self._usage = usage
        self._desired = desired
        self.interval_s = interval_s
        self.keep_for = keep_for
        self.raw_for = raw_for
        self._housekeeping_s = housekeeping_s
        self._last_housekeeping = 0.0
        self._datastores = datastores
        self._datastore_interval_s = datastore_interval_s
        self._last_datastores: float | None = None
        self._previous: dict[str, tuple[float, float]] = {}
        self._replacements: set[str] = set()
        """Replacement instances already counted in ``Restarts``."""
        self._memory = host_memory_bytes()
        self._periodic = Periodic("fleet-metrics", self._tick, lambda: self.interval_s)

    def start(self) -> None:
        """Sample every ``interval_s`` in a daemon thread."""
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()

    def _tick(self) -> None:
        try:
            self.sample()
            if time.monotonic() - self._last_housekeeping >= self._housekeeping_s:
                self._last_housekeeping = time.monotonic()
                self.housekeeping(datetime.now(UTC))
        except Exception:  # one bad pass must not end the sampling
            log.exception("sampling metrics failed")

    def sample(self) -> list[Sample]:
        """Take one sample of every metric and record it; the samples."""
        now = datetime.now(UTC)
        clock = time.monotonic()
        samples: list[Sample] = []
        seen: set[str] = set()
        listed: set[str] = set()
        for service in self._services:
            group = {"AutoScalingGroupName": self._group_name(service)}
            in_service = 0
            infos = list(self._instances(service))
            replacements = {i.id for i in infos if i.replaces is not None}
            listed |= replacements
            samples.append(self._sample(RESTARTS, group, now, float(len(replacements - self._replacements))))
            self._replacements |= replacements
            for info in infos:
                if info.state is not InstanceState.IN_SERVICE:
                    continue
                in_service += 1
                seen.add(info.id)
                usage = self._usage(info.id)
                if usage is None:
                    continue
                per_instance = {"InstanceId": info.id}
                values = [
                    (MEMORY_RSS, float(usage.rss_bytes)),
                    (MEMORY_USED, 100.0 * usage.rss_bytes / self._memory),
                ]
                if usage.open_sockets is not None:
                    values.append((OPEN_SOCKETS, float(usage.open_sockets)))
                previous = self._previous.get(info.id)
                self._previous[info.id] = (clock, usage.cpu_seconds)
                if previous is not None and clock > previous[0]:
                    values.append(
                        (CPU_UTILIZATION, 100.0 * (usage.cpu_seconds - previous[1]) / (clock - previous[0]))
                    )
                for name, value in values:
                    samples.append(self._sample(name, per_instance, now, value))
                    samples.append(self._sample(name, group, now, value))
            samples.append(self._sample(IN_SERVICE, group, now, float(in_service)))
            desired = self._desired(service)
            if desired is not None:
                samples.append(self._sample(DESIRED, group, now, float(desired)))
        self._previous = {key: value for key, value in self._previous.items() if key in seen}
        self._replacements &= listed  # bounded: only those the provider still lists
        if self._datastores is not None and (
            self._last_datastores is None or clock - self._last_datastores >= self._datastore_interval_s
        ):
            self._last_datastores = clock
            for health in self._datastores():
                named = {"DatastoreName": health.name}
                if health.connections is not None:
                    samples.append(self._sample(DATASTORE_CONNECTIONS, named, now, float(health.connections)))
                if health.size_bytes is not None:
                    samples.append(self._sample(DATASTORE_SIZE, named, now, float(health.size_bytes)))
        self._repository.put(samples)
        return samples

    def housekeeping(self, now: datetime) -> None:
        """Fold raw samples older than ``raw_for`` and delete data older than ``keep_for``."""
        self._repository.downsample(now - self.raw_for, DOWNSAMPLE_PERIOD_S)
        self._repository.prune(now - self.keep_for)

    def _sample(self, name: MetricName, dimensions: dict[str, str], at: datetime, value: float) -> Sample:
        return Sample(self._environment, name.namespace, name.metric, dimension_key(dimensions), at, value)
