"""The notification pipeline: plain callables applied in order to what is bound for one channel.

Each step takes an ``Outbound`` and returns it (changed) or ``None`` to drop it, the shape of
structlog's processors. Steps validate their settings when built. The default order:

    Subscribed()                 keep the events the channel's ``events`` patterns name
    Deduplicate(store, window)   drop events sent to this channel within the window (recorded)
    Group()                      render the remaining events as one message
    Redact(secret_values)        remove secret values and URL passwords from the message

Delivery (``deliver.py``) comes after the last step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from fleetops.ops.clock import Now, utc_now
from fleetops.ops.notify.events import DeploymentEvent, subscribed
from fleetops.ops.notify.message import Message, render
from fleetops.redaction import REDACTED, redact_text
from fleetops.spec.resources import EmailChannel, WebhookChannel
from fleetops.store import Store
from fleetops.store.notifications import Delivery, DeliveryStatus

ChannelSpec = WebhookChannel | EmailChannel

MIN_SECRET_LENGTH = 4
"""Shorter secret values are refused by ``Redact``: replacing them would garble ordinary words."""


@dataclass(frozen=True)
class Outbound:
    """What is on its way to one channel."""

    channel: str
    spec: ChannelSpec
    events: tuple[DeploymentEvent, ...]
    message: Message | None = None
    claims: tuple[Delivery, ...] = ()
    """The delivery records ``Deduplicate`` claimed, finished after delivery."""


Step = Callable[[Outbound], Outbound | None]


def run(steps: Sequence[Step], outbound: Outbound) -> Outbound | None:
    """Apply ``steps`` in order; None as soon as one drops it."""
    current: Outbound | None = outbound
    for step in steps:
        if current is None:
            return None
        current = step(current)
    return current


class Subscribed:
    """Keeps the events the channel subscribes to; drops the outbound when none is left."""

    def __call__(self, outbound: Outbound) -> Outbound | None:
        events = tuple(e for e in outbound.events if subscribed(outbound.spec.events, e.name))
        return replace(outbound, events=events) if events else None


class Deduplicate:
    """Drops an event whose key was sent (or is being sent) to the channel within ``window``.

    Each kept event is claimed in the store (a ``pending`` delivery record), so a retried
    notify handler, or another process, does not send it again.
    """

    def __init__(self, store: Store, *, window: timedelta, clock: Now = utc_now) -> None:
        if window <= timedelta(0):
            raise ValueError(f"the deduplication window must be positive, got {window}")
        self.store = store
        self.window = window
        self.clock = clock

    def __call__(self, outbound: Outbound) -> Outbound | None:
        kept: list[DeploymentEvent] = []
        claims: list[Delivery] = []
        for event in outbound.events:
            claim = self.store.notifications.claim(
                channel=outbound.channel,
                event=event.name,
                event_key=event.key,
                environment=event.environment,
                execution_id=event.execution_id,
                window=self.window,
                now=self.clock(),
            )
            if claim.status is DeliveryStatus.PENDING:
                kept.append(event)
                claims.append(claim)
        if not kept:
            return None
        return replace(outbound, events=tuple(kept), claims=outbound.claims + tuple(claims))


class Group:
    """Renders every event of the outbound as one message."""

    def __call__(self, outbound: Outbound) -> Outbound:
        return replace(outbound, message=render(outbound.events))


class Redact:
    """Replaces secret values (and the passwords of URLs) in the message with ``***``."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        values = sorted(set(secret_values), key=len, reverse=True)
        short = [v for v in values if len(v) < MIN_SECRET_LENGTH]
        if short:
            raise ValueError(
                f"{len(short)} secret value(s) shorter than {MIN_SECRET_LENGTH} characters cannot be "
                "redacted reliably"
            )
        self._pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def text(self, text: str) -> str:
        """``text`` without secrets."""
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        return redact_text(text)

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self._value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._value(item) for item in value]
        return value

    def __call__(self, outbound: Outbound) -> Outbound:
        message = outbound.message
        if message is None:
            return outbound
        clean = Message(
            subject=self.text(message.subject),
            text=self.text(message.text),
            blocks=tuple(self._value(block) for block in message.blocks),
        )
        return replace(outbound, message=clean)
