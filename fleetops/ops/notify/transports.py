"""Sending one rendered message: a Slack-compatible webhook (httpx) or an email (smtplib).

A transport raises ``DeliveryError`` saying whether trying again may help: connection
problems, timeouts, HTTP 429 and 5xx, and SMTP 4xx replies may; other refusals will not.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage

import httpx

from fleetops.ops.notify.message import Message
from fleetops.spec.resources import EmailChannel, WebhookChannel

DEFAULT_TIMEOUT_S = 10.0

SecretValue = Callable[[str], str | None]
"""Looks up the current value of a secret by name (the SMTP password)."""


class DeliveryError(Exception):
    """A message was not delivered; ``retryable`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


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
        raise DeliveryError(f"webhook unreachable: {type(err).__name__}: {err}", retryable=True) from err
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
