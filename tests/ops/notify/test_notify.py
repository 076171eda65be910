"""notify(): filter, deduplicate, group, redact, deliver with retries, record; never raise."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fleetops.ops.notify import DeploymentEvent, EventKind, RetryPolicy, notify
from fleetops.spec.resources import EmailChannel, WebhookChannel
from fleetops.store import Store
from fleetops.store.notifications import DeliveryStatus
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.receivers import smtp_server, webhook_receiver
from fleetops.testing.store_template import put_migrated_store

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
FAST = RetryPolicy(attempts=3, backoff=timedelta(seconds=1), factor=2)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    put_migrated_store(tmp_path)  # a copy: migrating a new store per test costs ~0.07 s of CPU
    with Store.open(None, tmp_path) as store:
        yield store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def _event(
    kind: EventKind = EventKind.FAILED, execution: str = "exec-1", reason: str | None = None
) -> DeploymentEvent:
    return DeploymentEvent(
        kind=kind,
        environment="prod",
        execution_id=execution,
        at=T0,
        services=("orders",),
        versions={"orders": "v3"},
        reason=reason,
    )


def _hook(url: str, events: list[str] | None = None) -> WebhookChannel:
    return WebhookChannel(type="webhook", url=url, events=events or ["deploy.*"])


def test_webhook_gets_slack_json(sqlite_store: Store, clock: FakeClock) -> None:
    with webhook_receiver() as hook:
        records = notify(
            sqlite_store, {"chat": _hook(hook.url)}, [_event()], clock=clock, sleep=clock.blocking_sleep
        )
    assert hook.bodies == [
        {
            "text": "prod: deploy failed (exec-1)\n  services: orders v3\n  at: 2026-11-22 09:00:00 UTC",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": ":x: *prod: deploy failed (exec-1)*"}},
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": "services: orders v3"},
                        {"type": "mrkdwn", "text": "at: 2026-11-22 09:00:00 UTC"},
                    ],
                },
            ],
        }
    ]
    assert [(r.channel, r.event, r.status, r.attempts, r.error) for r in records] == [
        ("chat", "deploy.failed", DeliveryStatus.SENT, 1, None)
    ]


def test_email_is_sent_through_smtp(sqlite_store: Store, clock: FakeClock) -> None:
    with smtp_server() as smtp:
        channel = EmailChannel.model_validate(
            {
                "type": "email",
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "starttls": False},
                "from": "fleetops@example.com",
                "to": ["oncall@example.com", "lead@example.com"],
                "events": ["deploy.failed"],
            }
        )
        records = notify(sqlite_store, {"mail": channel}, [_event(reason="health gate")], clock=clock)
    assert [r.status for r in records] == [DeliveryStatus.SENT]
    assert smtp.recipients == [["oncall@example.com", "lead@example.com"]]
    [mail] = smtp.messages
    assert (mail["Subject"], mail["From"], mail["To"]) == (
        "[fleetops] prod: deploy failed (exec-1)",
        "fleetops@example.com",
        "oncall@example.com, lead@example.com",
    )
    assert mail.get_content().splitlines() == [
        "prod: deploy failed (exec-1)",
        "  services: orders v3",
        "  reason: health gate",
        "  at: 2026-11-22 09:00:00 UTC",
    ]


def test_channels_get_only_the_events_they_subscribe_to(sqlite_store: Store, clock: FakeClock) -> None:
    with webhook_receiver() as failures, webhook_receiver() as everything:
        channels = {"failures": _hook(failures.url, ["deploy.failed"]), "all": _hook(everything.url, ["*"])}
        records = notify(sqlite_store, channels, [_event(EventKind.STARTED)], clock=clock)
    assert (len(failures.bodies), len(everything.bodies)) == (0, 1)
    assert [r.channel for r in records] == ["all"]


def test_the_same_event_within_the_window_is_sent_once(sqlite_store: Store, clock: FakeClock) -> None:
    with webhook_receiver() as hook:
        channels = {"chat": _hook(hook.url)}
        notify(sqlite_store, channels, [_event()], clock=clock)
        clock.step(timedelta(minutes=30))
        again = notify(sqlite_store, channels, [_event()], clock=clock)
        other = notify(sqlite_store, channels, [_event(execution="exec-2")], clock=clock)
        clock.step(timedelta(minutes=31))
        later = notify(sqlite_store, channels, [_event()], clock=clock)
    assert len(hook.bodies) == 3
    assert (again, [r.status for r in other], [r.status for r in later]) == (
        [],
        [DeliveryStatus.SENT],
        [DeliveryStatus.SENT],
    )
    assert [r.status for r in sqlite_store.notifications.list()] == [
        DeliveryStatus.SENT,
        DeliveryStatus.SENT,
        DeliveryStatus.DUPLICATE,
        DeliveryStatus.SENT,
    ]


def test_events_of_one_call_are_grouped_into_one_post(sqlite_store: Store, clock: FakeClock) -> None:
    with webhook_receiver() as hook:
        records = notify(
            sqlite_store, {"chat": _hook(hook.url)}, [_event(), _event(EventKind.ROLLED_BACK)], clock=clock
        )
    assert len(hook.bodies) == 1
    assert hook.bodies[0]["text"].splitlines()[::3] == [
        "prod: deploy failed (exec-1)",
        "prod: deploy was rolled back (exec-1)",
    ]
    assert [r.event for r in records] == ["deploy.failed", "deploy.rolled_back"]


def test_secrets_are_redacted(sqlite_store: Store, clock: FakeClock) -> None:
    reason = "connect to postgresql://app:hunter22@db/orders failed; token s3cr3t-token refused"
    with webhook_receiver() as hook:
        notify(
            sqlite_store,
            {"chat": _hook(hook.url)},
            [_event(reason=reason)],
            secret_values=["s3cr3t-token"],
            clock=clock,
        )
    text = hook.bodies[0]["text"]
    assert "reason: connect to postgresql://app:***@db/orders failed; token *** refused" in text
    assert "s3cr3t" not in str(hook.bodies) and "hunter22" not in str(hook.bodies)


def test_server_errors_are_retried_with_backoff(sqlite_store: Store, clock: FakeClock) -> None:
    with webhook_receiver(statuses=[503, 500, 200]) as hook:
        records = notify(
            sqlite_store,
            {"chat": _hook(hook.url)},
            [_event()],
            retry=FAST,
            clock=clock,
            sleep=clock.blocking_sleep,
        )
    assert len(hook.bodies) == 3
    assert clock.slept == [1.0, 2.0]
    assert [(r.status, r.attempts) for r in records] == [(DeliveryStatus.SENT, 3)]


def test_a_refusal_is_not_retried_and_is_recorded(sqlite_store: Store, clock: FakeClock) -> None:
    with webhook_receiver(statuses=[404]) as hook:
        records = notify(
            sqlite_store,
            {"chat": _hook(hook.url)},
            [_event()],
            retry=FAST,
            clock=clock,
            sleep=clock.blocking_sleep,
        )
    assert len(hook.bodies) == 1
    assert [(r.status, r.attempts, r.error) for r in records] == [
        (DeliveryStatus.FAILED, 1, "webhook answered HTTP 404: no")
    ]


def test_an_unreachable_channel_fails_after_bounded_tries_without_raising(
    sqlite_store: Store, clock: FakeClock
) -> None:
    with webhook_receiver() as hook:
        url = hook.url  # the receiver is gone once the block ends: nothing listens on its port
    with smtp_server() as smtp:
        port = smtp.port
    mail = EmailChannel.model_validate(
        {
            "type": "email",
            "smtp": {"host": "127.0.0.1", "port": port, "starttls": False},
            "from": "a@b.c",
            "to": ["d@e.f"],
        }
    )
    records = notify(
        sqlite_store,
        {"chat": _hook(url), "mail": mail},
        [_event()],
        retry=FAST,
        clock=clock,
        sleep=clock.blocking_sleep,
    )
    assert [(r.channel, r.status, r.attempts) for r in records] == [
        ("chat", DeliveryStatus.FAILED, 3),
        ("mail", DeliveryStatus.FAILED, 3),
    ]
    assert records[0].error is not None and records[0].error.startswith("webhook unreachable: ConnectError")
    assert records[1].error is not None and records[1].error.startswith("SMTP 127.0.0.1:")


def _resolver_says(errno: int) -> httpx.Client:
    """A client whose every request fails as httpx fails on a host name the resolver answers
    ``errno`` for (DNS is beyond this machine: the failure is made where httpx would raise it)."""

    def fail(request: httpx.Request) -> httpx.Response:
        try:
            raise socket.gaierror(errno, "resolver answer")
        except socket.gaierror as err:
            raise httpx.ConnectError(str(err), request=request) from err

    return httpx.Client(transport=httpx.MockTransport(fail))


def test_a_host_that_does_not_exist_is_tried_once(sqlite_store: Store, clock: FakeClock) -> None:
    with _resolver_says(socket.EAI_NONAME) as client:
        records = notify(
            sqlite_store,
            {"chat": _hook("https://hooks.slack.example.invalid/x")},
            [_event()],
            retry=FAST,
            clock=clock,
            sleep=clock.blocking_sleep,
            http=client,
        )
    assert [(r.status, r.attempts, r.error) for r in records] == [
        (DeliveryStatus.FAILED, 1, "webhook unreachable: ConnectError: [Errno -2] resolver answer")
    ]


def test_a_resolver_that_fails_for_now_is_tried_again(sqlite_store: Store, clock: FakeClock) -> None:
    with _resolver_says(socket.EAI_AGAIN) as client:
        records = notify(
            sqlite_store,
            {"chat": _hook("https://hooks.slack.example.invalid/x")},
            [_event()],
            retry=FAST,
            clock=clock,
            sleep=clock.blocking_sleep,
            http=client,
        )
    assert [(r.status, r.attempts) for r in records] == [(DeliveryStatus.FAILED, 3)]


def test_a_failed_delivery_is_tried_again_by_the_next_notify(sqlite_store: Store, clock: FakeClock) -> None:
    with webhook_receiver(statuses=[404, 200]) as hook:
        channels = {"chat": _hook(hook.url)}
        first = notify(sqlite_store, channels, [_event()], retry=FAST, clock=clock)
        second = notify(sqlite_store, channels, [_event()], retry=FAST, clock=clock)
    assert [r.status for r in first + second] == [DeliveryStatus.FAILED, DeliveryStatus.SENT]


def test_retry_policy_is_validated_when_built() -> None:
    with pytest.raises(ValueError, match=r"^attempts must be between 1 and 10, got 0$"):
        RetryPolicy(attempts=0)


def _mail_channel(port: int, **smtp: object) -> EmailChannel:
    return EmailChannel.model_validate(
        {
            "type": "email",
            "smtp": {"host": "127.0.0.1", "port": port, "starttls": False, **smtp},
            "from": "fleetops@example.com",
            "to": ["oncall@example.com"],
        }
    )


def test_email_logs_in_with_the_password_secret_and_never_shows_it(
    sqlite_store: Store, clock: FakeClock
) -> None:
    with smtp_server(credentials=("fleetops", "smtp-pass-123")) as smtp:
        channel = _mail_channel(smtp.port, username="fleetops", password_secret="smtp-password")
        records = notify(
            sqlite_store,
            {"mail": channel},
            [_event(reason="auth with smtp-pass-123 failed")],
            secret_value={"smtp-password": "smtp-pass-123"}.get,
            clock=clock,
        )
    assert [r.status for r in records] == [DeliveryStatus.SENT]
    assert smtp.logins == ["fleetops"]
    assert "  reason: auth with *** failed" in smtp.messages[0].get_content().splitlines()


def test_email_with_a_wrong_password_fails_without_retrying(sqlite_store: Store, clock: FakeClock) -> None:
    with smtp_server(credentials=("fleetops", "right")) as smtp:
        channel = _mail_channel(smtp.port, username="fleetops", password_secret="smtp-password")
        records = notify(
            sqlite_store,
            {"mail": channel},
            [_event()],
            secret_value={"smtp-password": "wrong-one"}.get,
            retry=FAST,
            clock=clock,
            sleep=clock.blocking_sleep,
        )
    assert [(r.status, r.attempts, r.error) for r in records] == [
        (DeliveryStatus.FAILED, 1, "SMTP server answered 535 5.7.8 Authentication credentials invalid")
    ]
    assert smtp.messages == []


def test_email_with_a_username_but_no_secret_lookup_fails_clearly(
    sqlite_store: Store, clock: FakeClock
) -> None:
    channel = _mail_channel(1, username="fleetops", password_secret="smtp-password")
    records = notify(sqlite_store, {"mail": channel}, [_event()], clock=clock)
    assert [(r.status, r.attempts, r.error) for r in records] == [
        (
            DeliveryStatus.FAILED,
            1,
            "SMTP user 'fleetops' needs a password: set smtp.password_secret and its value",
        )
    ]
