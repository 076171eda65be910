"""``AlarmMonitor``: the fleet file's alarms, evaluated on one environment's metrics.

One monitor per (fleet, environment), owned by its ``FleetRuntime``. It keeps the state of
each alarm target: an alarm with ``service`` is one target; an alarm without is a template, and
each service that lists it in ``deploy.alarms`` has its own target, evaluated on that service's
metrics (so ``high-5xx`` of orders and ``high-5xx`` of menu are two states).

Every ``interval_s`` (a tick) it collects the new metric samples and evaluates every target
(``fleetops.ops.alarms.evaluation``), keeping the state when the evaluation says so (``ignore``).
Reads serve the last tick's states; only a tick older than ``interval_s`` (the background thread
not started, or late) is evaluated again first. So the work, and the host counts sampled at each
collection (``HealthyHostCount``), do not grow with the number of readers: a Sum or SampleCount
alarm on them would change with how many rollouts poll. A state change updates ``updated_at`` and its
reason and is passed to ``on_change``. A new target starts in INSUFFICIENT_DATA, "Unchecked:
Initial alarm creation", as a new CloudWatch alarm does; after a restart of the control plane the
states are evaluated again from the log (the metrics of the window are read back), so only an
``ignore`` alarm's retained state is lost.

An alarm on a metric the provider does not have stays INSUFFICIENT_DATA with a reason naming the
metric and the ones that exist. Why not an error when the fleet file is loaded: a fleet file
serves local and aws environments, and ``CPUUtilization`` is a fine alarm for an aws one. Why
not its missing-data treatment (as CloudWatch would, for a metric nobody publishes): a
``notBreaching`` alarm would then be OK forever, a deploy gate that can never fire; in
INSUFFICIENT_DATA the gate refuses the rollout and says why.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.ops.alarms.composite import CompositeStatus, Step, combined, new_status, step
from fleetops.ops.alarms.datapoint import Datapoint
from fleetops.ops.alarms.evaluation import (
    AlarmState,
    Evaluation,
    evaluate,
    evaluation_range,
    period_ms,
    range_periods,
)
from fleetops.ops.alarms.math_alarm import NoMetrics, math_datapoints
from fleetops.ops.alarms.metric_store import MetricStore
from fleetops.ops.alarms.stored_metrics import StoredMetrics
from fleetops.ops.periodic import Periodic
from fleetops.spec.fleet import Fleet
from fleetops.spec.graph import waves
from fleetops.spec.resources import Alarm, CompositeAlarm
from fleetops.store.alarm_history import ACTION, STATE_UPDATE, AlarmHistoryRepository, HistoryItem

log = logging.getLogger(__name__)
INITIAL_REASON = "Unchecked: Initial alarm creation"


class MetricsSource(Protocol):
    """Where samples come from (``LocalMetrics`` for the local provider)."""

    known: frozenset[str]
    """Metric names it has, for every service."""
    value_metrics: frozenset[str]
    """Metrics whose samples' values must be kept (percentiles)."""

    def collect(self, store: MetricStore, now_ms: int) -> None:
        """Add the samples since the last call to ``store`` and prune it."""


@dataclass(frozen=True)
class AlarmStatus:
    """One alarm target as ``describe-alarms`` shows it."""

    name: str
    service: str
    alarm: Alarm
    state: AlarmState
    reason: str
    updated_at: datetime
    """When the state last changed (StateTransitionedTimestamp)."""
    evaluated_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON for the API."""
        alarm = self.alarm
        return {
            "name": self.name,
            "service": self.service,
            "type": "MetricAlarm",
            "state": self.state.value,
            "reason": self.reason,
            "updated": _iso(self.updated_at),
            "evaluated": _iso(self.evaluated_at) if self.evaluated_at else None,
            "namespace": alarm.namespace,
            "metric": alarm.metric,
            "watched": alarm.watched,
            "metrics": [q.model_dump(mode="json", exclude_defaults=True) for q in alarm.metrics]
            if alarm.metrics is not None
            else None,
            "dimensions": dict(alarm.dimensions),
            "statistic": alarm.statistic,
            "period_s": alarm.period.total_seconds(),
            "evaluation_periods": alarm.evaluation_periods,
            "datapoints_to_alarm": alarm.m_of_n[0],
            "threshold": alarm.threshold,
            "comparison": alarm.comparison.value,
            "treat_missing_data": alarm.treat_missing_data.value,
            "description": alarm.description,
        }


OnChange = Callable[[AlarmStatus, AlarmStatus], None]
"""Called with (before, after) on every state change, outside the monitor's lock."""
OnComposite = Callable[[CompositeStatus], None]
"""Called when a composite alarm's actions are to run (its state's), outside the lock."""


class AlarmMonitor:
    """See the module docstring. Thread-safe."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str,
        services: Sequence[str],
        *,
        metrics: MetricsSource | None,
        provider: str = "local",
        clock: Clock = SYSTEM_CLOCK,
        interval_s: float = 1.0,
        on_change: OnChange | None = None,
        stored: StoredMetrics | None = None,
        history: AlarmHistoryRepository | None = None,
        on_composite: OnComposite | None = None,
    ) -> None:
        """``stored``: the metrics store of the environment, for alarms with a ``namespace``;
        ``history``: where state changes are recorded and disabled actions kept (over restarts);
        ``on_composite``: runs a composite alarm's actions when they are due."""
        # An alarm limited to other environments (``environments``) is not evaluated here.
        self.alarms: Mapping[str, Alarm] = {
            name: a
            for name, a in fleet.alarms.items()
            if a.environments is None or environment in a.environments
        }
        self.composites: Mapping[str, CompositeAlarm] = {
            name: c
            for name, c in fleet.composite_alarms.items()
            if c.environments is None or environment in c.environments
        }
        self.environment = environment
        self._stored = stored
        self._history = history
        self._on_composite = on_composite
        self.provider = provider
        self.interval_s = interval_s
        self._metrics = metrics
        self._clock = clock
        self._on_change = on_change
        periods = [period_ms(a) for a in self.alarms.values()] or [1000]
        self.store = MetricStore(
            resolution_ms=math.gcd(*periods),
            retention_ms=max((range_periods(a) + 1) * period_ms(a) for a in self.alarms.values())
            if self.alarms
            else 1000,
            value_metrics=metrics.value_metrics if metrics else frozenset(),
        )
        self._lock = threading.Lock()
        self._targets: dict[tuple[str, str], AlarmStatus] = {}
        self._evaluated_at: datetime | None = None
        """When ``refresh`` last evaluated (under ``_lock``)."""
        self._held: dict[tuple[str, str], datetime] = {}
        """Targets set by ``set_state``, not evaluated before the time given."""
        self._muted: set[tuple[str, str]] = history.disabled(environment) if history else set()
        """Targets whose actions are disabled (``set_actions``): their changes notify nobody."""
        now = self._clock.now()
        self._composites = {name: new_status(name, c, now) for name, c in self.composites.items()}
        order = waves(
            {name: [r for r in c.references if r in self.composites] for name, c in self.composites.items()}
        )
        self._composite_order = [name for wave in order for name in wave]
        for name, alarm in sorted(self.alarms.items()):
            watchers = (
                [alarm.service]
                if alarm.service
                else [s for s in services if name in fleet.service(s, environment).deploy.alarms]
            )
            if not watchers and alarm.reads_store_only:
                watchers = [""]  # a stored metric of no service (fleetops/Deployments): one target
            for service in watchers:
                self._target(name, service)
        self._periodic = Periodic("alarm-monitor", self._tick, lambda: self.interval_s)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Evaluate every ``interval_s`` in a background thread (idempotent)."""
        self._periodic.start()

    def stop(self) -> None:
        """Stop the background evaluation (idempotent)."""
        self._periodic.stop()

    # -- reading --------------------------------------------------------------------------------

    def states(self, service: str, names: Sequence[str]) -> dict[str, str]:
        """The state of each alarm in ``names`` for ``service`` (an alarm with its own
        ``service`` answers for that one); alarms the fleet file does not define are left out."""
        with self._lock:
            for name in names:
                alarm = self.alarms.get(name)
                if alarm is not None:
                    self._target(name, alarm.service or service)
        self._refresh(older_than=self.interval_s)
        with self._lock:
            out = {}
            for name in names:
                alarm = self.alarms.get(name)
                if alarm is not None:
                    out[name] = self._targets[(name, alarm.service or service)].state.value
            return out

    def describe(self, *, service: str | None = None, state: str | None = None) -> list[AlarmStatus]:
        """Every alarm target, by name then service; only ``service``'s / those in ``state``."""
        self._refresh(older_than=self.interval_s)
        with self._lock:
            found = [self._targets[key] for key in sorted(self._targets)]
        return [s for s in found if service in (None, s.service) and state in (None, s.state)]

    def describe_composites(self, *, state: str | None = None) -> list[CompositeStatus]:
        """Every composite alarm, by name; only those in ``state``."""
        self._refresh(older_than=self.interval_s)
        with self._lock:
            found = [self._composites[name] for name in sorted(self._composites)]
        return [c for c in found if state in (None, c.state)]

    def targets(self) -> list[tuple[str, str]]:
        """(name, service) of every alarm target and (name, "") of every composite alarm, sorted."""
        with self._lock:
            return sorted([*self._targets, *((name, "") for name in self._composites)])

    def knows(self, name: str, service: str) -> bool:
        """Whether ``name`` of ``service`` is an alarm target or (service "") a composite alarm."""
        with self._lock:
            return (name, service) in self._targets or (service == "" and name in self._composites)

    def actions_enabled(self, name: str, service: str) -> bool:
        """Whether a state change of the target is passed to ``on_change`` (ActionsEnabled)."""
        with self._lock:
            return (name, service) not in self._muted

    # -- changing -------------------------------------------------------------------------------

    def set_actions(self, name: str, service: str, *, enabled: bool, by: str = "") -> None:
        """Enable or disable the target's (or composite alarm's) actions (Enable/DisableAlarmActions),
        kept in the store and recorded in its history; KeyError if unknown."""
        if not self.knows(name, service):
            raise KeyError((name, service))
        now = self._clock.now()
        with self._lock:
            if enabled:
                self._muted.discard((name, service))
            else:
                self._muted.add((name, service))
        if self._history is not None:
            self._history.set_enabled(self.environment, name, service, enabled=enabled, by=by or "-", at=now)
            word = "enabled" if enabled else "disabled"
            self._record_action(name, service, now, f"Actions {word}", f"by {by or 'an API call'}")

    def set_state(self, name: str, service: str, state: AlarmState, reason: str) -> AlarmStatus:
        """Put the target in ``state`` until its next evaluation, one period later, says
        otherwise (SetAlarmState: to test its actions); a change is passed to ``on_change``.
        KeyError if unknown."""
        with self._lock:
            before = self._targets[(name, service)]
            now = self._clock.now()
            after = replace(before, state=state, reason=reason, updated_at=now)
            self._targets[(name, service)] = after
            self._held[(name, service)] = now + before.alarm.period
            muted = (name, service) in self._muted
        if after.state != before.state:
            self._record(
                HistoryItem(
                    self.environment,
                    name,
                    service,
                    now,
                    STATE_UPDATE,
                    before.state,
                    after.state,
                    f"Alarm updated from {before.state} to {after.state} (set)",
                    reason,
                )
            )
            if self._on_change is not None and not muted:
                self._on_change(before, after)
        return after

    # -- evaluation -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Collect new samples and evaluate every target now."""
        self._refresh(older_than=None)

    def _refresh(self, *, older_than: float | None) -> None:
        # ``older_than``: evaluate only if the last evaluation is at least that many seconds old
        # (checked under the lock, so concurrent readers evaluate once).
        changes: list[tuple[AlarmStatus, AlarmStatus]] = []
        with self._lock:
            now = self._clock.now()
            last = self._evaluated_at
            if older_than is not None and last is not None and (now - last).total_seconds() < older_than:
                return
            self._evaluated_at = now
            now_ms = round(now.timestamp() * 1000)
            if self._metrics is not None and self._targets:  # no alarm: the log is not read at all
                self._metrics.collect(self.store, now_ms)
            for key, status in self._targets.items():
                held = self._held.get(key)
                if held is not None and now < held:
                    continue
                self._held.pop(key, None)
                after = _apply(status, self._evaluate(status, now_ms), now)
                self._targets[key] = after
                if after.state != status.state:
                    changes.append((status, after))
            steps = self._step_composites(now)
            muted = set(self._muted)
        for before, after in changes:
            log.info("alarm %s of %s: %s -> %s", after.name, after.service, before.state, after.state)
            self._record(
                HistoryItem(
                    self.environment,
                    after.name,
                    after.service,
                    now,
                    STATE_UPDATE,
                    before.state,
                    after.state,
                    f"Alarm updated from {before.state} to {after.state}",
                    after.reason,
                )
            )
            if (after.name, after.service) in muted:
                if after.state == AlarmState.ALARM:
                    self._record_action(after.name, after.service, now, "Actions disabled: none run", "")
            elif self._on_change is not None:
                self._on_change(before, after)
        for before_c, done in steps:
            after_c = done.status
            if done.changed:
                log.info("composite alarm %s: %s -> %s", after_c.name, before_c.state, after_c.state)
                self._record(
                    HistoryItem(
                        self.environment,
                        after_c.name,
                        "",
                        now,
                        STATE_UPDATE,
                        before_c.state,
                        after_c.state,
                        f"Alarm updated from {before_c.state} to {after_c.state}",
                        after_c.reason,
                    )
                )
            if after_c.suppressed_by is not None and after_c.suppressed_by != before_c.suppressed_by:
                self._record_action(
                    after_c.name,
                    "",
                    now,
                    f"Actions suppressed by {after_c.suppressed_by}",
                    f"actions suppressor {after_c.composite.actions_suppressor}",
                )
            if not done.act:
                continue
            if (after_c.name, "") in muted:
                self._record_action(after_c.name, "", now, "Actions disabled: none run", "")
            elif self._on_composite is not None:
                self._on_composite(after_c)

    def _step_composites(self, now: datetime) -> list[tuple[CompositeStatus, Step]]:
        # Under the lock: metric targets are evaluated; composites in the order they name each other.
        if not self._composites:
            return []
        states: dict[str, str] = {}
        by_name: dict[str, list[str]] = {}
        for (name, _service), status in self._targets.items():
            by_name.setdefault(name, []).append(status.state.value)
        for name in {*self.alarms, *(r for c in self.composites.values() for r in c.references)}:
            # An alarm not evaluated here (limited to other environments) has no data.
            states[name] = combined(by_name.get(name, []))
        out = []
        for name in self._composite_order:
            before = self._composites[name]
            for other in self._composites.values():
                states[other.name] = other.state.value
            done = step(before, states, now)
            self._composites[name] = done.status
            out.append((before, done))
        return out

    def _record_action(self, name: str, service: str, now: datetime, summary: str, detail: str) -> None:
        """Record what happened to a target's actions (no state change)."""
        self._record(HistoryItem(self.environment, name, service, now, ACTION, None, None, summary, detail))

    def _record(self, item: HistoryItem) -> None:
        if self._history is None:
            return
        try:
            self._history.add(item)
        except Exception:  # a store hiccup must not end alarm evaluation
            log.exception("cannot record the history of alarm %s", item.alarm)

    def _evaluate(self, status: AlarmStatus, now_ms: int) -> Evaluation:
        alarm = status.alarm
        starts = evaluation_range(alarm, now_ms)
        if alarm.metrics is not None:
            known = self._metrics.known if self._metrics else frozenset()
            try:
                values = math_datapoints(
                    alarm, status.service, starts=starts, period_ms=period_ms(alarm), stored=self._stored,
                    balancer=self.store, balancer_metrics=known, provider=self.provider,
                )  # fmt: skip
            except NoMetrics as err:
                return Evaluation(AlarmState.INSUFFICIENT_DATA, str(err))
            return evaluate(alarm, [Datapoint(start, v) for start, v in zip(starts, values, strict=True)])
        if alarm.namespace is not None:
            if self._stored is None:
                return Evaluation(
                    AlarmState.INSUFFICIENT_DATA, "No metrics store: this environment records none"
                )
            values = self._stored.datapoints(alarm, status.service, period_ms=period_ms(alarm), starts=starts)
            return evaluate(alarm, [Datapoint(start, v) for start, v in zip(starts, values, strict=True)])
        known = self._metrics.known if self._metrics else frozenset()
        assert alarm.metric is not None  # not metric math
        if alarm.metric not in known:
            return Evaluation(
                AlarmState.INSUFFICIENT_DATA,
                f"Unknown metric: the {self.provider} provider has no metric {alarm.metric!r} "
                f"(it has: {', '.join(sorted(known)) or 'none'})",
            )
        values = self.store.datapoints(
            status.service, alarm.metric, alarm.statistic, period_ms=period_ms(alarm), starts=starts
        )
        return evaluate(alarm, [Datapoint(start, value) for start, value in zip(starts, values, strict=True)])

    def _target(self, name: str, service: str) -> AlarmStatus:
        key = (name, service)
        status = self._targets.get(key)
        if status is None:
            status = AlarmStatus(
                name,
                service,
                self.alarms[name],
                AlarmState.INSUFFICIENT_DATA,
                INITIAL_REASON,
                self._clock.now(),
            )
            self._targets[key] = status
        return status

    def _tick(self) -> None:
        try:
            # Half an interval: a tick is not skipped for clock jitter, yet a read that
            # evaluated just before it is not followed by a second evaluation.
            self._refresh(older_than=self.interval_s / 2)
        except Exception:  # a bad line or a provider hiccup must not end alarm evaluation
            log.exception("alarm evaluation failed")


def _apply(status: AlarmStatus, evaluation: Evaluation, now: datetime) -> AlarmStatus:
    first = status.evaluated_at is None  # the initial reason gives way to the first evaluation's
    if evaluation.state is None or (evaluation.state == status.state and not first):
        return replace(status, evaluated_at=now)
    return replace(status, state=evaluation.state, reason=evaluation.reason, updated_at=now, evaluated_at=now)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
