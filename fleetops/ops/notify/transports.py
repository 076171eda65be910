"""Sending one rendered message: a Slack-compatible webhook (httpx), an email (smtplib), or a
PagerDuty Events API v2 alert (httpx).

A transport raises ``DeliveryError`` saying whether trying again may help: connection
problems, timeouts, HTTP 429 and 5xx, and SMTP 4xx replies may; other refusals will not.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from datetime import UTC
from email.message import EmailMessage
from typing import Any

import httpx

from fleetops.ops.notify.events import DeploymentEvent, EventKind
from fleetops.ops.notify.message import Message
from fleetops.spec.levels import Level
from fleetops.spec.resources import EmailChannel, PagerDutyChannel, WebhookChannel

DEFAULT_TIMEOUT_S = 10.0

SecretValue = Callable[[str], str | None]
"""Looks up the current value of a secret by name (the SMTP password)."""


class DeliveryError(Exception):
    """A message was not delivered; ``retryable`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def unknown_host(err: BaseException) -> bool:
    """Whether ``err`` comes from a host name that does not exist (the resolver's definitive
    EAI_NONAME, not a temporary EAI_AGAIN): a mistyped or placeholder URL, which retrying a
    second later cannot fix, so the runbook waiting on the notification does not wait for it."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, socket.gaierror) and cause.errno == socket.EAI_NONAME:
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def send_webhook(
    channel: WebhookChannel,
    message: Message,
    *,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> None:
    """POST the message's Slack payload (``{"text", "blocks"}``) to the channel's URL."""
    try:
        if client is not None:
            response = client.post(channel.url, json=message.slack_payload(), timeout=timeout)
        else:
            response = httpx.post(channel.url, json=message.slack_payload(), timeout=timeout)
    except httpx.TimeoutException as err:
        raise DeliveryError(f"webhook timed out after {timeout:g}s", retryable=True) from err
    except httpx.TransportError as err:
        raise DeliveryError(
            f"webhook unreachable: {type(err).__name__}: {err}", retryable=not unknown_host(err)
        ) from err
    if response.status_code >= 300:
        body = response.text.strip()[:200]
        raise DeliveryError(
            f"webhook answered HTTP {response.status_code}" + (f": {body}" if body else ""),
            retryable=response.status_code == 429 or response.status_code >= 500,
        )


def send_email(
    channel: EmailChannel,
    message: Message,
    *,
    secret_value: SecretValue | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> None:
    """Send the message as a plain-text email through the channel's SMTP server."""
    smtp = channel.smtp
    password = None
    if smtp.username is not None:
        if smtp.password_secret is None or secret_value is None:
            raise DeliveryError(
                f"SMTP user {smtp.username!r} needs a password: set smtp.password_secret and its value",
                retryable=False,
            )
        password = secret_value(smtp.password_secret)
        if password is None:
            raise DeliveryError(f"secret {smtp.password_secret!r} has no value", retryable=False)
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = channel.sender
    email["To"] = ", ".join(channel.to)
    email.set_content(message.text)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username is not None and password is not None:
                client.login(smtp.username, password)
            client.send_message(email)
    except smtplib.SMTPResponseException as err:
        text = (
            err.smtp_error.decode(errors="replace")
            if isinstance(err.smtp_error, bytes)
            else str(err.smtp_error)
        )
        raise DeliveryError(
            f"SMTP server answered {err.smtp_code} {text}", retryable=400 <= err.smtp_code < 500
        ) from err
    except smtplib.SMTPRecipientsRefused as err:
        raise DeliveryError(
            f"SMTP server refused the recipients {sorted(err.recipients)}", retryable=False
        ) from err
    except (smtplib.SMTPException, OSError) as err:
        raise DeliveryError(
            f"SMTP {smtp.host}:{smtp.port}: {type(err).__name__}: {err}", retryable=True
        ) from err


_RANK = {Level.INFO: 0, Level.WARNING: 1, Level.ERROR: 2, Level.CRITICAL: 3}
SUMMARY_MAX = 1024
DEDUP_KEY_MAX = 255


def pagerduty_event(routing_key: str, message: Message, events: Sequence[DeploymentEvent]) -> dict[str, Any]:
    """The Events API v2 body for ``message`` (the pipeline's grouped, redacted rendering of
    ``events``): a trigger at the highest level among them, deduplicated by the first event's
    alert key (or key): the updates of an incident join the alert its opening triggered. One
    ``alarm.ok`` resolves the alert its ``alarm.alarm`` triggered, one ``incident.resolved`` the
    incident's."""
    first = events[0]
    if len(events) == 1 and first.kind is EventKind.OK and first.operation == "alarm":
        key = first.key.replace("alarm.ok/", "alarm.alarm/", 1)
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": key[:DEDUP_KEY_MAX]}
    dedup_key = (first.alert_key or first.key)[:DEDUP_KEY_MAX]
    if len(events) == 1 and first.kind is EventKind.RESOLVED and first.alert_key is not None:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key}
    severity = max((e.severity for e in events), key=_RANK.__getitem__)
    services = sorted({s for e in events for s in (*e.services, *e.versions)})
    payload: dict[str, Any] = {
        "summary": message.subject[:SUMMARY_MAX],
        "source": f"fleetops/{first.environment}",
        "severity": severity.value,
        "timestamp": first.at.astimezone(UTC).isoformat(),
        "group": first.environment,
        "class": first.name,
        "custom_details": {"text": message.text, "events": [e.name for e in events]},
    }
    if services:
        payload["component"] = ", ".join(services)
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": payload,
    }


def send_pagerduty(
    channel: PagerDutyChannel,
    message: Message,
    events: Sequence[DeploymentEvent],
    *,
    secret_value: SecretValue | None,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> None:
    """POST the alert to the Events API; the routing key comes from the secrets store."""
    key = None if secret_value is None else secret_value(channel.routing_key_secret)
    if not key:
        raise DeliveryError(f"secret {channel.routing_key_secret!r} has no value", retryable=False)
    body = pagerduty_event(key, message, events)
    try:
        post = client.post if client is not None else httpx.post
        response = post(channel.url, json=body, timeout=timeout)
    except httpx.TimeoutException as err:
        raise DeliveryError(f"PagerDuty timed out after {timeout:g}s", retryable=True) from err
    except httpx.TransportError as err:
        raise DeliveryError(
            f"PagerDuty unreachable: {type(err).__name__}: {err}", retryable=not unknown_host(err)
        ) from err
    if response.status_code >= 300:
        text = response.text.strip()[:200]
        raise DeliveryError(
            f"PagerDuty answered HTTP {response.status_code}" + (f": {text}" if text else ""),
            retryable=response.status_code == 429 or response.status_code >= 500,
        )
