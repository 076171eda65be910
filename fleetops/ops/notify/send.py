"""``notify``: send deployment events to the fleet file's channels, never failing the deployment.

For every channel: the pipeline (``pipeline.py``) filters, deduplicates, groups and redacts;
then the message is delivered with bounded retries, and each event's delivery record ends
``sent`` or ``failed`` with the number of attempts and the last error. Any failure is logged and
recorded; ``notify`` itself does not raise for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.ops.notify.events import DeploymentEvent
from fleetops.ops.notify.pipeline import (
    ChannelSpec,
    Deduplicate,
    Group,
    Outbound,
    Redact,
    Step,
    Subscribed,
    run,
)
from fleetops.ops.notify.transports import (
    DeliveryError,
    SecretValue,
    send_email,
    send_pagerduty,
    send_webhook,
)
from fleetops.spec.resources import EmailChannel, PagerDutyChannel, WebhookChannel
from fleetops.store import Store
from fleetops.store.notifications import Delivery, DeliveryStatus

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(hours=1)
"""The same event (name, environment, execution) is sent to a channel once within this window."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how patiently, a delivery is tried."""

    attempts: int = 3
    """Tries in all, the first included."""
    backoff: timedelta = timedelta(seconds=1)
    """Wait before the second try; each later wait is ``factor`` times the previous one."""
    factor: float = 2.0

    def __post_init__(self) -> None:
        if not 1 <= self.attempts <= 10:
            raise ValueError(f"attempts must be between 1 and 10, got {self.attempts}")
        if self.backoff < timedelta(0) or self.factor < 1:
            raise ValueError(f"backoff must be >= 0 and factor >= 1, got {self.backoff} and {self.factor}")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        return float(self.backoff.total_seconds() * self.factor ** (attempt - 1))


def notify(
    store: Store,
    channels: Mapping[str, ChannelSpec],
    events: Sequence[DeploymentEvent],
    *,
    secret_values: Iterable[str] = (),
    secret_value: SecretValue | None = None,
    window: timedelta = DEFAULT_WINDOW,
    retry: RetryPolicy = RetryPolicy(),
    clock: Clock = SYSTEM_CLOCK,
    sleep: Callable[[float], None] = time.sleep,
    http: httpx.Client | None = None,
) -> list[Delivery]:
    """Send ``events`` to every channel subscribed to them; the delivery records written.

    ``channels`` is the fleet file's ``notifications`` section (``fleet.notifications``).
    ``secret_values`` are removed from every message; ``secret_value(name)`` gives the SMTP
    password of an email channel and the routing key of a PagerDuty one (redacted too). Never
    raises for a delivery problem: it is logged and recorded as ``failed``.
    """
    extra: list[str] = []
    if secret_value is not None:
        for spec in channels.values():
            name = getattr(getattr(spec, "smtp", None), "password_secret", None)
            if isinstance(spec, PagerDutyChannel):
                name = spec.routing_key_secret
            value = secret_value(name) if name else None
            if value:
                extra.append(value)
    steps: list[Step] = [
        Subscribed(),
        Deduplicate(store, window=window, clock=clock),
        Group(),
        Redact([*secret_values, *extra]),
    ]
    records: list[Delivery] = []
    for name, spec in channels.items():
        outbound: Outbound | None = None
        try:
            outbound = run(steps, Outbound(channel=name, spec=spec, events=tuple(events)))
            if outbound is not None:
                records.extend(
                    _deliver(
                        store,
                        outbound,
                        retry=retry,
                        clock=clock,
                        sleep=sleep,
                        http=http,
                        secret_value=secret_value,
                    )
                )
        except Exception as err:  # a notification must never fail the deployment
            log.exception("notification to channel %s failed", name)
            if outbound is not None:
                records.extend(
                    _finish(
                        store,
                        outbound,
                        DeliveryStatus.FAILED,
                        attempts=0,
                        error=f"{type(err).__name__}: {err}",
                        clock=clock,
                    )
                )
    return records


def _deliver(
    store: Store,
    outbound: Outbound,
    *,
    retry: RetryPolicy,
    clock: Clock,
    sleep: Callable[[float], None],
    http: httpx.Client | None,
    secret_value: SecretValue | None,
) -> list[Delivery]:
    message = outbound.message
    assert message is not None, "the pipeline ends with a rendered message"
    error: DeliveryError | None = None
    attempt = 0
    for attempt in range(1, retry.attempts + 1):
        try:
            spec = outbound.spec
            if isinstance(spec, WebhookChannel):
                send_webhook(spec, message, client=http)
            elif isinstance(spec, EmailChannel):
                send_email(spec, message, secret_value=secret_value)
            else:
                send_pagerduty(spec, message, outbound.events, secret_value=secret_value, client=http)
        except DeliveryError as err:
            error = err
            log.warning(
                "notification to %s, try %d of %d: %s", outbound.channel, attempt, retry.attempts, err
            )
            if not err.retryable or attempt == retry.attempts:
                break
            sleep(retry.delay(attempt))
        else:
            return _finish(store, outbound, DeliveryStatus.SENT, attempts=attempt, error=None, clock=clock)
    assert error is not None
    log.error("notification to %s not delivered after %d tries: %s", outbound.channel, attempt, error)
    return _finish(store, outbound, DeliveryStatus.FAILED, attempts=attempt, error=str(error), clock=clock)


def _finish(
    store: Store,
    outbound: Outbound,
    status: DeliveryStatus,
    *,
    attempts: int,
    error: str | None,
    clock: Clock,
) -> list[Delivery]:
    now = clock.now()
    return [
        store.notifications.finish(claim.id, status=status, attempts=attempts, error=error, now=now)
        for claim in outbound.claims
    ]
