"""Alarm actions: an alarm's state change sent to the fleet file's notification channels.

``AlarmActions`` is an ``AlarmMonitor``'s ``on_change``:

- A change into ALARM is the event ``alarm.alarm``; a change from ALARM to OK is ``alarm.ok``.
  CloudWatch runs OK actions on every change to OK, INSUFFICIENT_DATA -> OK included; here a new
  alarm's first evaluation would then message every channel each time the control plane starts,
  so only an alarm that clears says so.
- Muted while a maintenance window is open for the environment (maintenance "mutes alarm
  actions"); the state changes all the same.
- Each change is its own event (its id is the alarm, the service and the time of the change), so
  deduplication never hides a second incident; the event's reason is the state reason.
- Sent on a thread of its own: ``notify`` retries a failing channel with backoff, and alarm
  evaluation must not wait for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from fleetops.ops.alarms.evaluation import AlarmState
from fleetops.ops.alarms.monitor import AlarmStatus
from fleetops.ops.clock import Now, utc_now
from fleetops.ops.notify import DeploymentEvent, EventKind, notify
from fleetops.redaction import SecretSource
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.store.maintenance import scope_of

log = logging.getLogger(__name__)
Run = Callable[[Callable[[], None]], None]
"""Runs a send: on a new thread by default, inline in tests."""


def _on_thread(send: Callable[[], None]) -> None:
    threading.Thread(target=send, name="alarm-actions", daemon=True).start()


class AlarmActions:
    """See the module docstring."""

    def __init__(
        self,
        store: Store,
        fleet: Fleet,
        environment: str,
        *,
        clock: Now = utc_now,
        run: Run = _on_thread,
        secret_values: SecretSource = tuple,
    ) -> None:
        """``secret_values()``: the environment's secret values, removed from each message."""
        self._store = store
        self._secret_values = secret_values
        self._fleet = fleet
        self._environment = environment
        self._clock = clock
        self._run = run

    def __call__(self, before: AlarmStatus, after: AlarmStatus) -> None:
        """Send the event of the change ``before`` -> ``after``, if it is one (see above)."""
        if after.state == AlarmState.ALARM:
            kind = EventKind.ALARM
        elif after.state == AlarmState.OK and before.state == AlarmState.ALARM:
            kind = EventKind.OK
        else:
            return
        if not self._fleet.notifications:
            return
        scopes = [scope_of(None), scope_of(self._environment)]
        if self._store.maintenance.open_windows(scopes, now=self._clock()):
            log.info("alarm %s of %s: %s, muted by maintenance", after.name, after.service, after.state)
            return
        at = after.updated_at
        event = DeploymentEvent(
            kind=kind,
            environment=self._environment,
            execution_id=f"{after.name}/{after.service}@{at:%Y-%m-%dT%H:%M:%S}",
            at=at,
            services=(after.service,),
            reason=after.reason,
            operation="alarm",
        )
        self._run(lambda: self._send(event))

    def _send(self, event: DeploymentEvent) -> None:
        try:
            notify(
                self._store,
                self._fleet.notifications,
                [event],
                clock=self._clock,
                secret_values=self._secret_values(),
            )
        except Exception:  # never let a notification problem reach alarm evaluation
            log.exception("alarm notification failed")
