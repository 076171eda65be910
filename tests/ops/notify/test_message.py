"""Rendering deployment events as Slack and email messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.ops.notify import DeploymentEvent, EventKind, render
from fleetops.ops.notify.events import subscribed

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _event(kind: EventKind, **extra: object) -> DeploymentEvent:
    return DeploymentEvent(
        kind=kind,
        environment="prod",
        execution_id="exec-1",
        at=AT,
        services=("orders", "menu"),
        versions={"orders": "v3", "menu": "v2"},
        **extra,  # type: ignore[arg-type]
    )


def test_one_event_is_one_message() -> None:
    message = render(
        [_event(EventKind.FAILED, duration=timedelta(seconds=185), reason="orders: health gate")]
    )
    assert message.subject == "[fleetops] prod: deploy failed after 3m05s (exec-1)"
    assert message.text == (
        "prod: deploy failed after 3m05s (exec-1)\n"
        "  services: orders v3, menu v2\n"
        "  reason: orders: health gate\n"
        "  at: 2026-11-22 09:00:00 UTC"
    )
    assert message.slack_payload() == {
        "text": message.text,
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": ":x: *prod: deploy failed after 3m05s (exec-1)*"},
            },
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": "services: orders v3, menu v2"},
                    {"type": "mrkdwn", "text": "reason: orders: health gate"},
                    {"type": "mrkdwn", "text": "at: 2026-11-22 09:00:00 UTC"},
                ],
            },
        ],
    }


def test_several_events_are_grouped_into_one_message() -> None:
    message = render([_event(EventKind.FAILED), _event(EventKind.ROLLED_BACK)])
    assert message.subject == (
        "[fleetops] 2 events: prod: deploy failed (exec-1); prod: deploy was rolled back (exec-1)"
    )
    assert len(message.blocks) == 4


def test_an_event_name_must_be_a_known_notification_event() -> None:
    with pytest.raises(ValueError, match=r"^'rollback.rolled_back' is not a notification event"):
        _event(EventKind.ROLLED_BACK, operation="rollback")


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["*"], True),
        (["deploy.*"], True),
        (["deploy.failed"], True),
        (["rollback.*", "deploy.started"], False),
    ],
)
def test_subscription_patterns(patterns: list[str], expected: bool) -> None:
    assert subscribed(patterns, "deploy.failed") is expected
