"""The notification pipeline: plain callables applied in order to what is bound for one channel.

Each step takes an ``Outbound`` and returns it (changed) or ``None`` to drop it, the shape of
structlog's processors. Steps validate their settings when built. The default order:

    Subscribed()                 keep the events the channel's ``events`` patterns and ``levels`` name
    Deduplicate(store, window)   drop events sent to this channel within the window (recorded)
    Group()                      render the remaining events as one message
    Redact(secret_values)        remove secret values and URL passwords from the message

Delivery (``deliver.py``) comes after the last step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.ops.notify.events import DeploymentEvent, routed, subscribed
from fleetops.ops.notify.message import Message, render
from fleetops.redaction import secret_redactor
from fleetops.spec.resources import EmailChannel, PagerDutyChannel, WebhookChannel
from fleetops.store import Store
from fleetops.store.notifications import Delivery, DeliveryStatus

ChannelSpec = WebhookChannel | EmailChannel | PagerDutyChannel


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
    """Keeps the events the channel subscribes to, at the levels it takes; drops the outbound
    when none is left."""

    def __call__(self, outbound: Outbound) -> Outbound | None:
        spec = outbound.spec
        events = tuple(
            e for e in outbound.events if subscribed(spec.events, e.name) and routed(spec.levels, e)
        )
        return replace(outbound, events=events) if events else None


class Deduplicate:
    """Drops an event whose key was sent (or is being sent) to the channel within ``window``.

    Each kept event is claimed in the store (a ``pending`` delivery record), so a retried
    notify handler, or another process, does not send it again.
    """

    def __init__(self, store: Store, *, window: timedelta, clock: Clock = SYSTEM_CLOCK) -> None:
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
                now=self.clock.now(),
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
    """Removes secret values (and the passwords of URLs) from the message: the fleet's one
    redaction (``fleetops.redaction.secret_redactor``) over its subject, text and blocks.
    ``ValueError`` when built with a value too short to be redacted reliably."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        values = frozenset(secret_values)
        self.redactor = secret_redactor(lambda: values)

    def __call__(self, outbound: Outbound) -> Outbound:
        message = outbound.message
        if message is None:
            return outbound
        clean = Message(
            subject=self.redactor.text(message.subject),
            text=self.redactor.text(message.text),
            blocks=tuple(self.redactor.value(block) for block in message.blocks),
        )
        return replace(outbound, message=clean)
