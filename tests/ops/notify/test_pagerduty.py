"""PagerDuty Events API v2 channels: payloads valid against the API's schema (checked by a local
receiver), routing by level (a pager takes critical, chat warnings and errors), resolve on OK."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fleetops.ops.notify import DeploymentEvent, EventKind, RetryPolicy, notify
from fleetops.spec.levels import Level
from fleetops.spec.resources import PagerDutyChannel, WebhookChannel
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.receivers import webhook_receiver

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
KEY = "R0123456789abcdef0123456789abcde"  # an integration key is 32 characters
ONCE = RetryPolicy(attempts=1, backoff=timedelta(0))

# The request body of PagerDuty's Events API v2 (POST /v2/enqueue), as its reference describes it.
EVENTS_V2 = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "additionalProperties": False,
    "properties": {
        "routing_key": {"type": "string", "minLength": 32, "maxLength": 32},
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "maxLength": 255},
        "client": {"type": "string"},
        "client_url": {"type": "string"},
        "images": {"type": "array"},
        "links": {"type": "array"},
        "payload": {
            "type": "object",
            "required": ["summary", "source", "severity"],
            "additionalProperties": False,
            "properties": {
                "summary": {"type": "string", "minLength": 1, "maxLength": 1024},
                "source": {"type": "string", "minLength": 1},
                "severity": {"enum": ["critical", "error", "warning", "info"]},
                "timestamp": {
                    "type": "string",
                    "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$",
                },
                "component": {"type": "string"},
                "group": {"type": "string"},
                "class": {"type": "string"},
                "custom_details": {"type": "object"},
            },
        },
    },
    "if": {"properties": {"event_action": {"const": "trigger"}}},
    "then": {"required": ["payload"]},
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path) as opened:
        yield opened


def _event(
    kind: EventKind, operation: str = "deploy", level: Level | None = None, reason: str | None = None
) -> DeploymentEvent:
    return DeploymentEvent(
        kind=kind, environment="prod", execution_id="exec-1", at=T0, services=("orders",),
        reason=reason, operation=operation, level=level,
    )  # fmt: skip


def _send(
    store: Store, channels: dict[str, Any], events: list[DeploymentEvent], key: str | None = KEY
) -> list[Any]:
    clock = FakeClock(T0)
    return notify(store, channels, events, secret_value=lambda name: key if name == "pd-key" else None,
                  retry=ONCE, clock=clock, sleep=clock.blocking_sleep)  # fmt: skip


def test_a_critical_alarm_pages_with_a_valid_trigger(store: Store) -> None:
    with webhook_receiver([202]) as pager:
        channel = PagerDutyChannel(
            type="pagerduty", routing_key_secret="pd-key", url=pager.url, levels=[Level.CRITICAL]
        )
        records = _send(store, {"pager": channel}, [_event(EventKind.ALARM, "alarm")])
    assert [(r.channel, str(r.status)) for r in records] == [("pager", "sent")]
    (body,) = pager.bodies
    jsonschema.validate(body, EVENTS_V2)
    assert body == {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "alarm.alarm/prod/exec-1",
        "payload": {
            "summary": "[fleetops] prod: alarm went into ALARM (exec-1)",
            "source": "fleetops/prod",
            "severity": "critical",
            "timestamp": "2026-11-22T09:00:00+00:00",
            "group": "prod",
            "class": "alarm.alarm",
            "component": "orders",
            "custom_details": {
                "text": "prod: alarm went into ALARM (exec-1)\n  services: orders\n"
                "  at: 2026-11-22 09:00:00 UTC",
                "events": ["alarm.alarm"],
            },
        },
    }


def test_ok_resolves_the_alert_its_alarm_triggered(store: Store) -> None:
    with webhook_receiver([202]) as pager:
        channel = PagerDutyChannel(type="pagerduty", routing_key_secret="pd-key", url=pager.url)
        _send(store, {"pager": channel}, [_event(EventKind.OK, "alarm")])
    (body,) = pager.bodies
    jsonschema.validate(body, EVENTS_V2)
    assert body == {"routing_key": KEY, "event_action": "resolve", "dedup_key": "alarm.alarm/prod/exec-1"}


def test_levels_route_a_failure_to_chat_and_not_to_the_pager(store: Store) -> None:
    with webhook_receiver([202]) as pager, webhook_receiver([200]) as chat:
        pager_channel = PagerDutyChannel(
            type="pagerduty", routing_key_secret="pd-key", url=pager.url, levels=[Level.CRITICAL]
        )
        chat_channel = WebhookChannel(type="webhook", url=chat.url, levels=[Level.WARNING, Level.ERROR])
        channels: dict[str, Any] = {"pager": pager_channel, "chat": chat_channel}
        records = _send(store, channels, [_event(EventKind.FAILED)])
        assert [(r.channel, str(r.status)) for r in records] == [("chat", "sent")]
        announcement = _event(EventKind.POSTED, "announcement", Level.CRITICAL, "maintenance in 15 minutes")
        _send(store, channels, [announcement])
    assert (len(pager.bodies), len(chat.bodies)) == (1, 1)
    jsonschema.validate(pager.bodies[0], EVENTS_V2)
    assert pager.bodies[0]["payload"]["summary"] == "[fleetops] prod: CRITICAL: maintenance in 15 minutes"


def test_a_missing_routing_key_fails_the_delivery_without_a_request(store: Store) -> None:
    with webhook_receiver([202]) as pager:
        channel = PagerDutyChannel(type="pagerduty", routing_key_secret="pd-key", url=pager.url)
        records = _send(store, {"pager": channel}, [_event(EventKind.FAILED)], key=None)
    assert [(str(r.status), r.error) for r in records] == [("failed", "secret 'pd-key' has no value")]
    assert pager.bodies == []


def test_a_refused_event_is_not_retried_and_the_key_is_never_recorded(store: Store) -> None:
    with webhook_receiver([400]) as pager:
        channel = PagerDutyChannel(type="pagerduty", routing_key_secret="pd-key", url=pager.url)
        records = _send(store, {"pager": channel}, [_event(EventKind.FAILED, reason=f"key {KEY} leaked")])
    assert [(str(r.status), r.attempts, r.error) for r in records] == [
        ("failed", 1, "PagerDuty answered HTTP 400: no")
    ]
    assert KEY not in str(pager.bodies[0]["payload"])
