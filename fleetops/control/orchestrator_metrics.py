"""``OrchestratorMetrics``: the control plane's own metrics, namespace ``fleetops/Deployments``.

Every ``interval_s`` (a daemon thread, ``ops.periodic``) it drains what the journal's observer
counted (``ops.metrics.orchestrator``) and writes one sample of each metric, zeros included, so
"no executions for 10 minutes" is a Sum of 0, not missing data:

- per environment (the deployment's): DeploymentsStarted, DeploymentsSucceeded,
  DeploymentsFailed, Rollbacks, ConcurrentDeployments (RUNNING deployments in the store, on any
  server); per finished deployment a DeploymentDuration (seconds) and a DeploymentSuccessRate
  sample (100 or 0, so Average over a period is the success rate in percent);
- in every environment this server runs (they concern no one environment): ExecutionsStarted,
  ExecutionsRunning (RUNNING executions in the store), TaskHandlerErrors and
  TaskHandlerInvocations (so an error rate is metric math: errors / invocations * 100).

Counts are this server's (summed over servers they are the fleet's); the two gauges read the
shared store, so with several servers read them with Maximum or Average, not Sum. Samples carry
no dimensions. ``sample(now)`` does one pass, so tests drive it on a fake clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.ops.metrics.names import (
    CONCURRENT_DEPLOYMENTS,
    DEPLOYMENT_DURATION,
    DEPLOYMENT_SUCCESS_RATE,
    DEPLOYMENTS_FAILED,
    DEPLOYMENTS_STARTED,
    DEPLOYMENTS_SUCCEEDED,
    EXECUTIONS_RUNNING,
    EXECUTIONS_STARTED,
    ROLLBACKS,
    TASK_HANDLER_ERRORS,
    TASK_HANDLER_INVOCATIONS,
    MetricName,
)
from fleetops.ops.metrics.orchestrator import DEPLOY_MACHINE, EventCounts, environment_of
from fleetops.ops.periodic import Periodic
from fleetops.store import Store
from fleetops.store.metrics import Sample

log = logging.getLogger(__name__)


class OrchestratorMetrics:
    """See the module docstring."""

    def __init__(
        self,
        store: Store,
        environments: Callable[[], Sequence[str]],
        *,
        clock: Clock = SYSTEM_CLOCK,
        interval_s: float = 10.0,
    ) -> None:
        """``environments()``: the environments this server runs now."""
        self.store = store
        self.counts = EventCounts()
        self._environments = environments
        self._clock = clock
        self.interval_s = interval_s
        self._periodic = Periodic("orchestrator-metrics", self._tick, lambda: self.interval_s)

    def start(self) -> None:
        """Sample every ``interval_s`` in a daemon thread (idempotent)."""
        self._periodic.start()

    def stop(self) -> None:
        """Stop sampling (idempotent)."""
        self._periodic.stop()

    def _tick(self) -> None:
        try:
            self.sample(self._clock.now())
        except Exception:  # one bad pass must not end the sampling
            log.exception("sampling the orchestrator's metrics failed")

    def sample(self, now: datetime) -> list[Sample]:
        """Write one sample of every metric at ``now``; the samples."""
        counts = self.counts.drain()
        running = self.store.executions.running_names()
        concurrent: dict[str, int] = {}
        for machine_arn, name in running:
            environment = environment_of(name) if machine_arn.endswith(f":{DEPLOY_MACHINE}") else None
            if environment is not None:
                concurrent[environment] = concurrent.get(environment, 0) + 1
        starts = self.store.executions.start_dates([f.arn for f in counts.finished])
        samples: list[Sample] = []

        def put(environment: str, name: MetricName, value: float) -> None:
            samples.append(Sample(environment, name.namespace, name.metric, "", now, float(value)))

        for environment in self._environments():
            put(environment, EXECUTIONS_STARTED, counts.executions_started)
            put(environment, EXECUTIONS_RUNNING, len(running))
            put(environment, TASK_HANDLER_ERRORS, counts.handler_errors)
            put(environment, TASK_HANDLER_INVOCATIONS, counts.handler_invocations)
            put(environment, DEPLOYMENTS_STARTED, counts.deployments_started[environment])
            put(environment, ROLLBACKS, counts.rollbacks[environment])
            put(environment, CONCURRENT_DEPLOYMENTS, concurrent.get(environment, 0))
            ended = [f for f in counts.finished if f.environment == environment]
            put(environment, DEPLOYMENTS_SUCCEEDED, sum(1 for f in ended if f.succeeded))
            put(environment, DEPLOYMENTS_FAILED, sum(1 for f in ended if not f.succeeded))
            for finished in ended:
                put(environment, DEPLOYMENT_SUCCESS_RATE, 100.0 if finished.succeeded else 0.0)
                start = starts.get(finished.arn)
                if start is not None:
                    put(environment, DEPLOYMENT_DURATION, (finished.ended - start).total_seconds())
        self.store.metrics.put(samples)
        return samples
