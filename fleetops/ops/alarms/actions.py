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
- The alarm's ``actions``: ``notify`` names the channels told (default: every channel, each
  filtering by its ``events``); ``runbook`` (``rollback``, ``scale-out``) is started through
  ``start_runbook`` on a change into ALARM (not muted by maintenance: a runbook is a change, and
  maintenance refuses changes itself), on the same thread. What was done is recorded in the
  alarm's history (and the runbook's start in the audit log, by the starter).
- ``scaling_policies``: simple scaling policies of the alarm's service, run through
  ``execute_policy`` on a change into ALARM, on the same thread (their cooldown, the gates and
  the group's bounds decide; a refusal is recorded in the history, not raised). CloudWatch
  also runs an Auto Scaling action again each minute the alarm stays in ALARM; here it runs on
  the change only.
- A composite alarm (``composite``) is told when its actions are due (after any suppression):
  the same events, with its own channels.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.ops.alarms.composite import CompositeStatus
from fleetops.ops.alarms.evaluation import AlarmState
from fleetops.ops.alarms.monitor import AlarmStatus
from fleetops.ops.notify import DeploymentEvent, EventKind, notify
from fleetops.redaction import SecretSource
from fleetops.spec.fleet import Fleet
from fleetops.spec.resources import AlarmActionsSpec, AlarmRunbook, Channel
from fleetops.store import Store
from fleetops.store.alarm_history import ACTION, HistoryItem
from fleetops.store.maintenance import scope_of

log = logging.getLogger(__name__)
Run = Callable[[Callable[[], None]], None]
"""Runs a send: on a new thread by default, inline in tests."""
StartRunbook = Callable[[AlarmRunbook, str, str, str], str]
"""Starts ``runbook`` on ``service`` for alarm ``name`` with ``reason``; says what it started."""
ExecutePolicy = Callable[[str, str, str], str]
"""Runs ``service``'s simple scaling policy ``policy`` for alarm ``name``; says what it did."""


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
        clock: Clock = SYSTEM_CLOCK,
        run: Run = _on_thread,
        secret_values: SecretSource = tuple,
        start_runbook: StartRunbook | None = None,
        execute_policy: ExecutePolicy | None = None,
    ) -> None:
        """``secret_values()``: the environment's secret values, removed from each message;
        ``start_runbook``: how an alarm's runbook is started (None: runbooks are not run here);
        ``execute_policy``: how its scaling policies run (None: not here)."""
        self._store = store
        self.start_runbook = start_runbook
        self.execute_policy = execute_policy
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
        alarming = kind is EventKind.ALARM
        self._act(
            after.name,
            service=after.service,
            kind=kind,
            at=after.updated_at,
            reason=after.reason,
            actions=after.alarm.actions,
            runbook=after.alarm.actions.runbook if alarming else None,
            policies=tuple(after.alarm.actions.scaling_policies) if alarming else (),
        )

    def composite(self, after: CompositeStatus) -> None:
        """Run a composite alarm's actions (due now, after any suppression) for its state."""
        kind = EventKind.ALARM if after.state == AlarmState.ALARM else EventKind.OK
        self._act(
            after.name,
            service="",
            kind=kind,
            at=after.updated_at,
            reason=after.reason,
            actions=after.composite.actions,
            runbook=None,
            policies=(),
        )

    def _act(
        self,
        name: str,
        *,
        service: str,
        kind: EventKind,
        at: datetime,
        reason: str,
        actions: AlarmActionsSpec,
        runbook: AlarmRunbook | None,
        policies: tuple[str, ...],
    ) -> None:
        channels = self._channels(actions)
        if not channels and runbook is None and not policies:
            return
        if channels:
            scopes = [scope_of(None), scope_of(self._environment)]
            if self._store.maintenance.open_windows(scopes, now=self._clock.now()):
                log.info("alarm %s of %s: %s, muted by maintenance", name, service, kind.value)
                self._history(name, service, "Notification muted by a maintenance window", "")
                channels = {}
        event = DeploymentEvent(
            kind=kind,
            environment=self._environment,
            execution_id=f"{name}/{service}@{at:%Y-%m-%dT%H:%M:%S}"
            if service
            else f"{name}@{at:%Y-%m-%dT%H:%M:%S}",
            at=at,
            services=(service,) if service else (),
            reason=reason,
            operation="alarm",
        )
        self._run(lambda: self._send(name, service, event, channels, runbook, policies=policies))

    def _channels(self, actions: AlarmActionsSpec) -> dict[str, Channel]:
        every = self._fleet.notifications
        if actions.notify is None:
            return dict(every)
        return {name: every[name] for name in actions.notify if name in every}

    def _send(
        self,
        name: str,
        service: str,
        event: DeploymentEvent,
        channels: Mapping[str, Channel],
        runbook: AlarmRunbook | None,
        *,
        policies: tuple[str, ...] = (),
    ) -> None:
        for policy in policies:
            self._execute(name, service, policy)
        if channels:
            try:
                notify(self._store, channels, [event], clock=self._clock, secret_values=self._secret_values())
                self._history(name, service, f"Notified {', '.join(sorted(channels))}", event.kind.value)
            except Exception:  # never let a notification problem reach alarm evaluation
                log.exception("alarm notification failed")
        if runbook is None:
            return
        if self.start_runbook is None:
            self._history(name, service, f"Runbook {runbook.value} not started", "no runbook starter here")
            return
        try:
            started = self.start_runbook(runbook, service, name, event.reason or "")
            self._history(name, service, f"Runbook {runbook.value} started", started)
        except Exception as err:  # refused (lock held, maintenance, bounds): recorded, not raised
            log.warning("alarm %s: runbook %s of %s not started: %s", name, runbook.value, service, err)
            self._history(name, service, f"Runbook {runbook.value} not started", str(err))

    def _execute(self, name: str, service: str, policy: str) -> None:
        if self.execute_policy is None or not service:
            why = "no scaling policies run here" if service else "the alarm watches no service"
            self._history(name, service, f"Scaling policy {policy} not run", why)
            return
        try:
            done = self.execute_policy(service, policy, name)
            self._history(name, service, f"Scaling policy {policy} run", done)
        except Exception as err:  # cooldown, gates, bounds, unknown policy: recorded, not raised
            log.info("alarm %s: scaling policy %s of %s not run: %s", name, policy, service, err)
            self._history(name, service, f"Scaling policy {policy} not run", str(err))

    def _history(self, name: str, service: str, summary: str, reason: str) -> None:
        try:
            self._store.alarm_history.add(
                HistoryItem(
                    self._environment, name, service, self._clock.now(), ACTION, None, None, summary, reason
                )
            )
        except Exception:
            log.exception("cannot record the history of alarm %s", name)
