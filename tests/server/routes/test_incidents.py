"""``/incidents``: open, update, resolve, list, show; each change announced by severity (a SEV1
pages through PagerDuty's Events API v2, a SEV3 goes to chat); bad input and resolved incidents
refused with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fleetops.server.auth import Role
from fleetops.spec.levels import Level
from fleetops.spec.loader import load_fleet
from fleetops.spec.resources import PagerDutyChannel, WebhookChannel
from fleetops.testing.api import ApiHarness, api_harness
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES
from fleetops.testing.receivers import WebhookReceiver, webhook_receiver

KEY = "R0123456789abcdef0123456789abcde"
SECRET = "hunter2-incident-secret"
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PATH = "/api/v1/incidents"


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
            type="pagerduty",
            routing_key_secret="pd-key",
            url=pager.url,
            levels=[Level.CRITICAL, Level.ERROR],
            events=["incident.*"],
        ),
        "chat": WebhookChannel(
            type="webhook", url=chat.url, levels=[Level.WARNING, Level.INFO], events=["incident.*"]
        ),
    }
    with api_harness(tmp_path_factory.mktemp("state")) as harness:
        runtime = InMemoryFleetRuntime(fleet.model_copy(update={"notifications": channels}), "dev")
        runtime.secrets = frozenset({SECRET})
        harness.app.state.environments.put(runtime)
        harness.app.state.secrets.put("dev", "pd-key", KEY, by="test")
        yield harness


@pytest.fixture
def clock(api: ApiHarness) -> FakeClock:
    clock = FakeClock(START)
    api.app.state.clock = clock
    return clock


def test_a_sev1_pages_its_opening_updates_and_resolution_as_one_pagerduty_alert(
    api: ApiHarness, receivers: tuple[WebhookReceiver, WebhookReceiver], clock: FakeClock
) -> None:
    pager, chat = receivers
    pages, chats = len(pager.bodies), len(chat.bodies)
    client = api.client(Role.OPERATOR)
    opened = client.post(PATH, json={"severity": "SEV1", "title": "checkout is down", "eta": "2h"})
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    number = incident["id"]
    assert {k: incident[k] for k in ("severity", "status", "environment", "eta", "event", "deliveries")} == {
        "severity": "SEV1",
        "status": "investigating",
        "environment": "dev",
        "eta": "2026-11-22T11:00:00+00:00",
        "event": "incident.opened",
        "deliveries": [{"channel": "pager", "status": "sent", "error": None}],
    }
    assert pager.bodies[pages] == {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": f"incident/dev/{number}",
        "payload": {
            "summary": f"[fleetops] dev: incident opened: SEV1 #{number} checkout is down",
            "source": "fleetops/dev",
            "severity": "critical",
            "timestamp": "2026-11-22T09:00:00+00:00",
            "group": "dev",
            "class": "incident.opened",
            "custom_details": {
                "text": f"dev: incident opened: SEV1 #{number} checkout is down\n"
                "  status: investigating\n"
                "  by: operator\n"
                "  message: opened: checkout is down\n"
                "  eta: 2026-11-22 11:00 UTC\n"
                "  at: 2026-11-22 09:00:00 UTC",
                "events": ["incident.opened"],
            },
        },
    }

    clock.step(timedelta(minutes=10))
    updated = client.post(
        f"{PATH}/{number}/updates", json={"status": "identified", "message": "bad release of payments"}
    ).json()
    assert (updated["status"], updated["deliveries"][0]["status"]) == ("identified", "sent")
    assert {k: pager.bodies[pages + 1][k] for k in ("event_action", "dedup_key")} == {
        "event_action": "trigger",
        "dedup_key": f"incident/dev/{number}",
    }

    clock.step(timedelta(minutes=20))
    resolved = client.post(f"{PATH}/{number}/resolve", json={"summary": "rolled back to v2"}).json()
    assert pager.bodies[pages + 2] == {
        "routing_key": KEY,
        "event_action": "resolve",
        "dedup_key": f"incident/dev/{number}",
    }
    assert len(chat.bodies) == chats  # a SEV1 is not chat's
    assert (resolved["status"], resolved["time_to_resolve_seconds"], resolved["resolved_by"]) == (
        "resolved",
        1800.0,
        "operator",
    )
    assert api.client(Role.VIEWER).get(f"{PATH}/{number}").json()["timeline"] == [
        {
            "at": "2026-11-22T09:00:00+00:00",
            "author": "operator",
            "status": "investigating",
            "message": "opened: checkout is down",
        },
        {
            "at": "2026-11-22T09:10:00+00:00",
            "author": "operator",
            "status": "identified",
            "message": "bad release of payments",
        },
        {
            "at": "2026-11-22T09:30:00+00:00",
            "author": "operator",
            "status": "resolved",
            "message": "rolled back to v2",
        },
    ]


def test_a_sev3_goes_to_chat_and_an_update_keeps_its_status(
    api: ApiHarness, receivers: tuple[WebhookReceiver, WebhookReceiver], clock: FakeClock
) -> None:
    pager, chat = receivers
    pages = len(pager.bodies)
    client = api.client(Role.OPERATOR)
    number = client.post(
        PATH, json={"severity": "SEV3", "title": "menu is slow", "description": "p95 at 900 ms"}
    ).json()["id"]
    assert chat.bodies[-1]["text"] == (
        f"dev: incident opened: SEV3 #{number} menu is slow\n"
        "  status: investigating\n"
        "  by: operator\n"
        "  message: p95 at 900 ms\n"
        "  at: 2026-11-22 09:00:00 UTC"
    )
    update = client.post(f"{PATH}/{number}/updates", json={"message": "cache warming up"}).json()
    assert (update["status"], update["deliveries"]) == (
        "investigating",
        [{"channel": "chat", "status": "sent", "error": None}],
    )
    assert len(pager.bodies) == pages
    open_ids = [i["id"] for i in api.client(Role.VIEWER).get(PATH).json()["incidents"]]
    assert number in open_ids
    client.post(f"{PATH}/{number}/resolve", json={"summary": "warm"})
    assert number not in [i["id"] for i in api.client(Role.VIEWER).get(PATH).json()["incidents"]]
    assert number in [
        i["id"] for i in api.client(Role.VIEWER).get(PATH, params={"all": "true"}).json()["incidents"]
    ]


def test_a_resolved_incident_takes_no_update_and_no_second_resolution(
    api: ApiHarness, clock: FakeClock
) -> None:
    client = api.client(Role.OPERATOR)
    number = client.post(PATH, json={"severity": "SEV4", "title": "typo on the menu"}).json()["id"]
    client.post(f"{PATH}/{number}/resolve", json={"summary": "fixed"})
    again = client.post(f"{PATH}/{number}/resolve", json={"summary": "fixed twice"})
    assert (again.status_code, again.json()["message"]) == (
        409,
        f"incident {number} was resolved at 2026-11-22T09:00:00+00:00 by operator; nothing changed "
        "(open a new one)",
    )
    late = client.post(f"{PATH}/{number}/updates", json={"message": "still fine"})
    assert late.status_code == 409
    assert [e["message"] for e in client.get(f"{PATH}/{number}").json()["timeline"]] == [
        "opened: typo on the menu",
        "fixed",
    ]


def test_an_unknown_incident_is_404(api: ApiHarness) -> None:
    client = api.client(Role.OPERATOR)
    assert [
        (r.status_code, r.json()["message"])
        for r in (
            client.get(f"{PATH}/9999"),
            client.post(f"{PATH}/9999/updates", json={"message": "x"}),
            client.post(f"{PATH}/9999/resolve", json={"summary": "x"}),
        )
    ] == [
        (404, "no incident 9999 (fleetops incident list --all)"),
        (404, "no incident 9999"),
        (404, "no incident 9999"),
    ]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"severity": "SEV5", "title": "x"}, 422, None),
        ({"severity": "SEV1", "title": True}, 422, None),
        ({"severity": "SEV1", "title": "   "}, 400, "--title is empty: say what happened"),
        (
            {"severity": "SEV1", "title": "x", "eta": "31d"},
            400,
            "--eta must be more than 0 and at most 30d, got 31 days, 0:00:00",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    api: ApiHarness, body: dict[str, object], status: int, message: str | None
) -> None:
    before = api.store.incidents.list(resolved=True)
    response = api.client(Role.OPERATOR).post(PATH, json=body)
    assert response.status_code == status, response.text
    if message is not None:
        assert response.json()["message"] == message
    assert api.store.incidents.list(resolved=True) == before


def test_secret_values_are_redacted_before_they_are_stored(api: ApiHarness, clock: FakeClock) -> None:
    client = api.client(Role.OPERATOR)
    number = client.post(PATH, json={"severity": "SEV4", "title": f"leaked {SECRET} in a log"}).json()["id"]
    assert api.store.incidents.get(number).title == "leaked *** in a log"  # type: ignore[union-attr]
