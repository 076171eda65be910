"""``POST /notifications/announce``: an announcement reaches the channels that take its level."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleetops.server.auth import Role
from fleetops.spec.levels import Level
from fleetops.spec.loader import load_fleet
from fleetops.spec.resources import PagerDutyChannel, WebhookChannel
from fleetops.testing.api import ApiHarness, api_harness
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES
from fleetops.testing.receivers import WebhookReceiver, webhook_receiver

KEY = "R0123456789abcdef0123456789abcde"


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[WebhookReceiver, WebhookReceiver]]:
    with webhook_receiver([202]) as pager, webhook_receiver([200]) as chat:
        yield pager, chat


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, receivers: tuple[WebhookReceiver, WebhookReceiver]
) -> Iterator[ApiHarness]:
    pager, chat = receivers
    fleet = load_fleet(EXAMPLES / "fleet.yaml")
    channels = {
        "pager": PagerDutyChannel(
            type="pagerduty", routing_key_secret="pd-key", url=pager.url, levels=[Level.CRITICAL]
        ),
        "chat": WebhookChannel(type="webhook", url=chat.url, levels=[Level.WARNING]),
    }
    with api_harness(tmp_path_factory.mktemp("state")) as harness:
        harness.app.state.environments.put(
            InMemoryFleetRuntime(fleet.model_copy(update={"notifications": channels}), "dev")
        )
        harness.app.state.secrets.put("dev", "pd-key", KEY, by="test")
        yield harness


def test_a_critical_announcement_pages_and_a_warning_goes_to_chat(
    api: ApiHarness, receivers: tuple[WebhookReceiver, WebhookReceiver]
) -> None:
    pager, chat = receivers
    client = api.client(Role.OPERATOR)
    critical = client.post(
        "/api/v1/notifications/announce", json={"level": "critical", "message": "orders is down"}
    ).json()
    assert critical == {
        "event": "announcement.posted",
        "environment": "dev",
        "level": "critical",
        "deliveries": [{"channel": "pager", "status": "sent", "error": None}],
    }
    warning = client.post(
        "/api/v1/notifications/announce", json={"level": "warning", "message": "maintenance in 15 minutes"}
    ).json()
    assert warning["deliveries"] == [{"channel": "chat", "status": "sent", "error": None}]
    assert (pager.bodies[-1]["routing_key"], pager.bodies[-1]["payload"]["summary"]) == (
        KEY,
        "[fleetops] dev: CRITICAL: orders is down",
    )
    assert chat.bodies[-1]["text"].startswith("dev: WARNING: maintenance in 15 minutes\n")


def test_an_unknown_level_is_refused(api: ApiHarness) -> None:
    response = api.client(Role.OPERATOR).post(
        "/api/v1/notifications/announce", json={"level": "sev0", "message": "x"}
    )
    assert response.status_code == 422
