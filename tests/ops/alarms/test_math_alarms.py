"""Alarms on metric math, evaluated by the alarm monitor on a hand-moved clock: seed 001's handler
error rate (errors / invocations * 100) on the orchestrator's stored counts, and a 5xx rate on the
load balancer's metrics of each watching service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.ops.alarms import AlarmMonitor, MetricStore
from fleetops.ops.alarms.stored_metrics import StoredMetrics
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.store.metrics import Sample
from fleetops.testing.fake_clock import FakeClock

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  menu:
    run: {command: "{python} menu.py"}
    deploy: {alarms: [errors-5xx-rate]}
alarms:
  handler-error-rate:
    period: 5m
    threshold: 50
    comparison: GreaterThanThreshold
    treat_missing_data: notBreaching
    metrics:
      - {id: errors, return_data: false,
         metric_stat: {namespace: fleetops/Deployments, metric: TaskHandlerErrors, stat: Sum}}
      - {id: invocations, return_data: false,
         metric_stat: {namespace: fleetops/Deployments, metric: TaskHandlerInvocations, stat: Sum}}
      - {id: rate, expression: errors / invocations * 100, label: Handler error rate}
  errors-5xx-rate:
    period: 1m
    threshold: 10
    metrics:
      - {id: e5xx, return_data: false, metric_stat: {metric: HTTPCode_Target_5XX_Count, stat: Sum}}
      - {id: requests, return_data: false, metric_stat: {metric: RequestCount, stat: Sum}}
      - {id: rate, expression: "100 * FILL(e5xx, 0) / requests"}
"""


class Requests:
    """A load balancer's metrics as a ``MetricsSource``: requests the test adds, collected once."""

    known = frozenset({"RequestCount", "HTTPCode_Target_5XX_Count"})
    value_metrics: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.pending: list[tuple[int, str, bool]] = []

    def collect(self, store: MetricStore, now_ms: int) -> None:
        for at_ms, service, failed in self.pending:
            store.add_all(
                service, at_ms, [("RequestCount", 1.0), *([("HTTPCode_Target_5XX_Count", 1.0)] * failed)]
            )
        self.pending.clear()
        store.prune(now_ms)


def _monitor(store: Store, clock: FakeClock, source: Requests | None = None) -> AlarmMonitor:
    return AlarmMonitor(
        load_fleet_text(FLEET),
        "dev",
        ["menu"],
        metrics=source,
        clock=clock,
        stored=StoredMetrics(store.metrics, "dev", lambda service: f"shop-dev-{service}"),
    )


def _counts(store: Store, at: datetime, errors: float, invocations: float) -> None:
    store.metrics.put(
        [
            Sample("dev", "fleetops/Deployments", "TaskHandlerErrors", "", at, errors),
            Sample("dev", "fleetops/Deployments", "TaskHandlerInvocations", "", at, invocations),
        ]
    )


def test_the_handler_error_rate_alarm_divides_errors_by_invocations(sqlite_store: Store) -> None:
    clock = FakeClock(T0 + timedelta(minutes=5, seconds=1))
    monitor = _monitor(sqlite_store, clock)
    # 12:00-12:05: 3 of 4 calls failed (75 %).
    _counts(sqlite_store, T0 + timedelta(minutes=1), errors=1, invocations=2)
    _counts(sqlite_store, T0 + timedelta(minutes=2), errors=2, invocations=2)
    monitor.refresh()
    [rate] = monitor.describe(service="")
    assert (rate.name, rate.service, rate.state.value, rate.reason) == (
        "handler-error-rate",
        "",
        "ALARM",
        "Threshold Crossed: 1 out of the last 1 datapoint [75.0 (12:00:00)] was greater than the "
        "threshold (50.0)",
    )
    # 12:05-12:10: zeros only (no calls): 0 / 0 is no datapoint (not a rate of 0), so the
    # newest datapoint is still 12:00's.
    _counts(sqlite_store, T0 + timedelta(minutes=6), errors=0, invocations=0)
    clock.move_to(T0 + timedelta(minutes=10, seconds=1))
    monitor.refresh()
    [still] = monitor.describe(service="")
    assert (still.state, still.reason) == (rate.state, rate.reason)
    # 12:10-12:15: 4 calls, none failed.
    _counts(sqlite_store, T0 + timedelta(minutes=11), errors=0, invocations=4)
    clock.move_to(T0 + timedelta(minutes=15, seconds=1))
    monitor.refresh()
    [rate] = monitor.describe(service="")
    assert (rate.state.value, rate.reason) == (
        "OK",
        "Threshold Crossed: 1 out of the last 1 datapoint [0.0 (12:10:00)] was not greater than the "
        "threshold (50.0)",
    )


def test_a_template_math_alarm_reads_each_services_load_balancer_metrics(sqlite_store: Store) -> None:
    clock = FakeClock(T0)
    source = Requests()
    monitor = _monitor(sqlite_store, clock, source)
    start_ms = int(T0.timestamp() * 1000)
    # 12:00-12:01: 1 of 8 requests failed (12.5 %); 12:01-12:02: none of 4 (FILL makes it 0 %).
    source.pending = [(start_ms + i * 1000, "menu", i == 0) for i in range(8)]
    source.pending += [(start_ms + 60_000 + i * 1000, "menu", False) for i in range(4)]
    clock.move_to(T0 + timedelta(minutes=1, seconds=1))
    monitor.refresh()
    [five_xx] = monitor.describe(service="menu")
    assert (five_xx.name, five_xx.state.value) == ("errors-5xx-rate", "ALARM")
    assert five_xx.reason.startswith("Threshold Crossed: 1 out of the last 1 datapoint [12.5 (12:00:00)]")
    clock.move_to(T0 + timedelta(minutes=2, seconds=1))
    monitor.refresh()
    [five_xx] = monitor.describe(service="menu")
    assert (five_xx.state.value, five_xx.reason) == (
        "OK",
        "Threshold Crossed: 1 out of the last 1 datapoint [0.0 (12:01:00)] was not greater than the "
        "threshold (10.0)",
    )


def test_without_a_load_balancer_a_math_alarm_says_which_metric_is_missing(sqlite_store: Store) -> None:
    monitor = _monitor(sqlite_store, FakeClock(T0))
    monitor.refresh()
    [five_xx] = monitor.describe(service="menu")
    assert (five_xx.state.value, five_xx.reason) == (
        "INSUFFICIENT_DATA",
        "Unknown metric: the local provider has no metric 'HTTPCode_Target_5XX_Count' "
        "(query e5xx; it has: none)",
    )
