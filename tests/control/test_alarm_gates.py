"""The runbooks an alarm starts pass the gate every change passes: refused in maintenance, while a
deployment holds the environment's lock, or for a blocked service, the refusal in the alarm's
history and the audit log and never out of the alarm monitor; allowed, audited as the alarm.

In process on a fake clock: an access log with three 5XX answers, the alarm monitor evaluating
it, the alarm actions (inline) and the control plane's starter over an in-memory runtime.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetops.control.alarm_runbooks import AlarmRunbooks
from fleetops.control.environments import Environments
from fleetops.ops.alarms import AlarmActions, AlarmMonitor, AlarmState, LocalMetrics
from fleetops.ops.locks import acquire_lock
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.store.alarm_history import ACTION
from fleetops.store.audit import Outcome
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  menu:
    run: {command: "{python} menu.py"}
    instances: {min: 1, desired: 2, max: 3}
    deploy: {alarms: [high-5xx]}
alarms:
  high-5xx:
    metric: HTTPCode_Target_5XX_Count
    statistic: Sum
    period: 10s
    threshold: 2
    treat_missing_data: notBreaching
    actions: {runbook: RUNBOOK}
"""


@dataclass
class Fired:
    state: AlarmState
    history: list[tuple[str, str]]
    audit: list[tuple[str, str, str, Outcome, str | None]]
    desired: int
    causes: list[str]


def fire(folder: Path, store: Store, clock: FakeClock, runbook: str) -> Fired:
    """Three 5XX answers in the period 12:00:00, evaluated at 12:00:10: the alarm goes into
    ALARM and starts ``runbook`` on menu."""
    fleet = load_fleet_text(FLEET.replace("RUNBOOK", runbook))
    runtime = InMemoryFleetRuntime(fleet, "dev", clock=FakeClock(T0))
    environments = Environments(fleet)
    environments.put(runtime)
    runbooks = AlarmRunbooks(store, clock=clock)
    runbooks.bind(environments=environments)
    actions = AlarmActions(
        store, fleet, "dev", clock=clock, run=lambda send: send(), start_runbook=runbooks.starter("dev")
    )
    log = folder / "access.jsonl"
    stamp = (T0 + timedelta(seconds=5)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record = {
        "timestamp": stamp,
        "service": "menu",
        "instance": "menu-1",
        "status": 500,
        "response_time_ms": 2,
    }
    log.write_text((json.dumps(record) + "\n") * 3)
    monitor = AlarmMonitor(
        fleet,
        "dev",
        ["menu"],
        metrics=LocalMetrics(log, None, ["menu"]),
        clock=clock,
        on_change=actions,
        history=store.alarm_history,
    )
    clock.move_to(T0 + timedelta(seconds=10))
    monitor.refresh()  # a refusal does not come out of here
    [status] = monitor.describe(service="menu")
    items = store.alarm_history.list("dev", "high-5xx")
    return Fired(
        state=status.state,
        history=[(h.summary, h.reason) for h in items if h.kind == ACTION],
        audit=[
            (e.actor, e.target or "", e.arguments["runbook"], e.outcome, e.error)
            for e in store.audit.list(action="alarm.runbook")
        ],
        desired=runtime.desired["menu"],
        causes=[a.cause for a in runtime.activities],
    )


def refused(fired: Fired, runbook: str, reason: str) -> None:
    assert fired.state == AlarmState.ALARM
    assert fired.history == [(f"Runbook {runbook} not started", reason)]
    assert fired.audit == [("alarm:high-5xx", "dev/menu", runbook, Outcome.REFUSED, reason)]
    assert (fired.desired, fired.causes) == (2, [])


RUNBOOKS = ["scale-out", "rollback"]


@pytest.mark.parametrize("runbook", RUNBOOKS)
def test_maintenance_refuses_an_alarms_runbook(tmp_path: Path, sqlite_store: Store, runbook: str) -> None:
    sqlite_store.maintenance.start(
        scope="dev", reason="db upgrade", started_by="ann", starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    fired = fire(tmp_path, sqlite_store, FakeClock(T0), runbook)
    refused(
        fired,
        runbook,
        f"{runbook} of 'menu' in 'dev' by alarm 'high-5xx' refused: maintenance of environment 'dev' "
        "by ann until 2026-12-07T13:00:00Z (reason: db upgrade; end it early with: "
        "fleetops maintenance off --env dev)",
    )


@pytest.mark.parametrize("runbook", RUNBOOKS)
def test_a_deployments_lock_refuses_an_alarms_runbook(
    tmp_path: Path, sqlite_store: Store, runbook: str
) -> None:
    clock = FakeClock(T0)
    acquire_lock(sqlite_store, "dev", owner="deploy-dev-7", reason="deploy v2 by ann", clock=clock)
    fired = fire(tmp_path, sqlite_store, clock, runbook)
    refused(
        fired,
        runbook,
        "environment 'dev' is locked by 'deploy-dev-7' (reason: deploy v2 by ann) since "
        "2026-12-07T12:00:00Z; its lease expires at 2026-12-07T12:15:00Z (in 14m50s). Try again "
        "once it is released, or if the holder is gone: fleetops lock release --force --env dev",
    )


@pytest.mark.parametrize("runbook", RUNBOOKS)
def test_a_block_refuses_an_alarms_runbook(tmp_path: Path, sqlite_store: Store, runbook: str) -> None:
    sqlite_store.maintenance.block(
        scope="dev", services=["menu"], reason="incident 42", blocked_by="bob", now=T0
    )
    fired = fire(tmp_path, sqlite_store, FakeClock(T0), runbook)
    refused(
        fired,
        runbook,
        f"{runbook} of 'menu' in 'dev' by alarm 'high-5xx' refused: service 'menu' is blocked in 'dev' "
        "by bob since 2026-12-07T12:00:00Z (reason: incident 42)",
    )


def test_an_allowed_scale_out_is_audited_as_the_alarm(tmp_path: Path, sqlite_store: Store) -> None:
    # Gates elsewhere do not hold this one back: another environment's window, another
    # service's block, a lock of another environment, a window of dev that has ended.
    sqlite_store.maintenance.start(
        scope="prod", reason="x", started_by="ann", starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    sqlite_store.maintenance.start(
        scope="dev", reason="y", started_by="ann", starts_at=T0 - timedelta(hours=1), ends_at=T0
    )
    sqlite_store.maintenance.block(scope="dev", services=["orders"], reason="z", blocked_by="bob", now=T0)
    clock = FakeClock(T0)
    acquire_lock(sqlite_store, "prod", owner="deploy-prod-1", reason="deploy v2 by ann", clock=clock)
    fired = fire(tmp_path, sqlite_store, clock, "scale-out")
    assert fired.state == AlarmState.ALARM
    assert fired.history == [("Runbook scale-out started", "desired count of menu 2 -> 3")]
    assert fired.audit == [("alarm:high-5xx", "dev/menu", "scale-out", Outcome.SUCCESS, None)]
    assert (fired.desired, fired.causes) == (3, ["a monitor alarm high-5xx in state ALARM started scale-out"])
