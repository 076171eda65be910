"""Alarm state changes sent to the fleet's notification channels (``alarm.alarm``, ``alarm.ok``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetops.ops.alarms import AlarmActions, AlarmMonitor, AlarmState, LocalMetrics
from fleetops.ops.alarms.composite import CompositeStatus
from fleetops.spec.loader import load_fleet_text
from fleetops.spec.resources import AlarmRunbook
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.receivers import WebhookReceiver, webhook_receiver

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  menu:
    run: {command: "{python} menu.py"}
    deploy: {alarms: [high-5xx]}
alarms:
  high-5xx:
    metric: HTTPCode_Target_5XX_Count
    statistic: Sum
    period: 10s
    threshold: 2
    treat_missing_data: notBreaching
notifications:
  chat:
    type: webhook
    url: URL
    events: [alarm.*]
"""


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def world(tmp_path: Path, sqlite_store: Store, hook: WebhookReceiver) -> Iterator[Callable[[float], None]]:
    """``at(second)``: requests are logged, the clock moves to T0 + second, alarms are evaluated."""
    log = tmp_path / "access.jsonl"
    log.touch()
    clock = FakeClock(T0)
    fleet = load_fleet_text(FLEET.replace("URL", hook.url))
    actions = AlarmActions(sqlite_store, fleet, "dev", clock=clock, run=lambda send: send())
    monitor = AlarmMonitor(
        fleet, "dev", ["menu"], metrics=LocalMetrics(log, None, ["menu"]), clock=clock, on_change=actions
    )

    def at(second: float, errors: int = 0) -> None:
        stamp = (T0 + timedelta(seconds=second)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record = {"timestamp": stamp, "service": "menu", "instance": "menu-1", "status": 500}
        with log.open("a") as handle:
            handle.writelines(json.dumps(record | {"response_time_ms": 2}) + "\n" for _ in range(errors))
        clock.move_to(T0 + timedelta(seconds=second))
        monitor.refresh()

    yield at


def texts(hook: WebhookReceiver) -> list[str]:
    return [body["text"].splitlines()[0] for body in hook.bodies]


def test_going_into_alarm_and_back_to_ok_are_sent(world: Callable[..., None], hook: WebhookReceiver) -> None:
    world(1)  # INSUFFICIENT_DATA -> OK: not sent
    world(5, errors=3)
    world(10)  # the period 12:00:00 ended with 3 errors
    world(40)
    assert texts(hook) == [
        "dev: alarm went into ALARM (high-5xx/menu@2026-11-22T12:00:10)",
        "dev: alarm is OK again (high-5xx/menu@2026-11-22T12:00:40)",
    ]
    assert (
        "reason: Threshold Crossed: 1 out of the last 1 datapoint [3.0 (12:00:00)] was greater"
        in (hook.bodies[0]["text"])
    )


def test_maintenance_mutes_alarm_actions(
    world: Callable[..., None], hook: WebhookReceiver, sqlite_store: Store
) -> None:
    sqlite_store.maintenance.start(
        scope="dev", reason="upgrade", started_by="ops", starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    world(5, errors=3)
    world(10)
    assert hook.bodies == []


def test_an_alarm_notifies_its_channels_starts_its_runbook_and_records_both(
    tmp_path: Path, sqlite_store: Store, hook: WebhookReceiver
) -> None:
    log = tmp_path / "access.jsonl"
    log.touch()
    clock = FakeClock(T0)
    text = FLEET.replace("URL", hook.url).replace(
        "    treat_missing_data: notBreaching\n",
        "    treat_missing_data: notBreaching\n    actions: {notify: [chat], runbook: rollback}\n",
    )
    fleet = load_fleet_text(
        text + "  unused:\n    type: webhook\n    url: http://127.0.0.1:9/x\n    events: [alarm.*]\n"
    )
    started: list[tuple[str, str, str]] = []

    def start(runbook: AlarmRunbook, service: str, alarm: str, reason: str) -> str:
        started.append((runbook.value, service, alarm))
        return "rollback execution rollback-dev-1"

    actions = AlarmActions(
        sqlite_store, fleet, "dev", clock=clock, run=lambda send: send(), start_runbook=start
    )
    monitor = AlarmMonitor(
        fleet, "dev", ["menu"], metrics=LocalMetrics(log, None, ["menu"]), clock=clock, on_change=actions
    )
    stamp = (T0 + timedelta(seconds=5)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record = {
        "timestamp": stamp,
        "service": "menu",
        "instance": "menu-1",
        "status": 500,
        "response_time_ms": 2,
    }
    log.write_text((json.dumps(record) + "\n") * 3)
    clock.move_to(T0 + timedelta(seconds=10))
    monitor.refresh()
    assert started == [("rollback", "menu", "high-5xx")]
    assert texts(hook) == [texts(hook)[0]] and "ALARM" in texts(hook)[0]
    history = sqlite_store.alarm_history.list("dev", "high-5xx")
    assert [(h.kind, h.summary, h.reason) for h in history] == [
        ("Action", "Runbook rollback started", "rollback execution rollback-dev-1"),
        ("Action", "Notified chat", "alarm"),
    ]


def test_a_composite_alarms_actions_tell_its_channels(sqlite_store: Store, hook: WebhookReceiver) -> None:
    text = FLEET.replace("URL", hook.url) + "composite_alarms:\n  page:\n    rule: ALARM(high-5xx)\n"
    fleet = load_fleet_text(text + "    actions: {notify: [chat]}\n")
    actions = AlarmActions(sqlite_store, fleet, "dev", clock=FakeClock(T0), run=lambda send: send())
    status = CompositeStatus("page", fleet.composite_alarms["page"], AlarmState.ALARM, "Rule TRUE: ...", T0)
    actions.composite(status)
    assert texts(hook) == ["dev: alarm went into ALARM (page@2026-11-22T12:00:00)"]
    [item] = sqlite_store.alarm_history.list("dev", "page")
    assert (item.service, item.summary) == ("", "Notified chat")
