"""Recurring maintenance (``fleetops maintenance schedule --cron "0 2 * * SUN" --for 2h``): the
control plane opens a window at each time the cron names and announces its start and end
(``maintenance.started``, ``maintenance.ended``) to the fleet's channels.

``MaintenanceScheduler.run`` runs on the server's event loop and measures time on the one
``Clock`` (tests pass a fake one); each ``tick`` is short synchronous work on that loop: a few
store queries, and when a window opens or ends one notification, tried twice without waiting
between tries (a channel that does not answer holds the loop up to its 10 s timeout).
An occurrence is opened once (the schedule records it), also after a restart within it; a
window is as long as what is left of the occurrence; its end is announced once it is over
(or was ended early with ``maintenance off``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from fleetops.clock import Clock
from fleetops.errors import BadInput
from fleetops.ops.cron import Cron
from fleetops.ops.maintenance import MAX_WINDOW, maintenance_status, start_maintenance
from fleetops.ops.notify import DeploymentEvent, EventKind, RetryPolicy, notify
from fleetops.ops.notify.pipeline import ChannelSpec
from fleetops.store import Store
from fleetops.store.maintenance_schedules import MaintenanceSchedule

log = logging.getLogger(__name__)

TICK = 30.0
"""Seconds between looks at the schedules (windows open within this of their time)."""
ALL = "*"
RETRY = RetryPolicy(attempts=2, backoff=timedelta(0))


def _no_wait(_seconds: float) -> None:
    """Retries on the event loop do not sleep."""


def schedule_maintenance(
    store: Store,
    *,
    environment: str | None,
    cron: str,
    duration: timedelta,
    reason: str,
    by: str,
    now: datetime,
) -> MaintenanceSchedule:
    """Store a schedule; ``BadInput`` for a bad cron or a length outside 1m..7d."""
    Cron.parse(cron)
    if not timedelta(minutes=1) <= duration <= MAX_WINDOW:
        raise BadInput(f"--for must be between 1m and 7d, got {duration}")
    if not reason.strip():
        raise BadInput("--reason must say why deployments are stopped")
    scope = environment or ALL
    return store.maintenance_schedules.add(
        scope=scope, cron=cron, duration=duration, reason=reason, by=by, now=now
    )


class MaintenanceScheduler:
    """Opens the schedules' windows and announces their start and end."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        channels: Callable[[], Mapping[str, ChannelSpec]],
        *,
        interval: float = TICK,
    ) -> None:
        self.store = store
        self.clock = clock
        self.channels = channels
        self.interval = interval

    async def run(self) -> None:
        """Tick every ``interval`` seconds of the clock until cancelled."""
        while True:
            try:
                self.tick()
            except Exception:  # a bad tick must not end the schedules
                log.exception("maintenance schedules: tick failed")
            await self.clock.sleep(self.interval)

    def tick(self) -> list[DeploymentEvent]:
        """Open what is due, announce what ended; the events announced."""
        now = self.clock.now()
        events = []
        for schedule in self.store.maintenance_schedules.list():
            events.extend(self._tick_one(schedule, now))
        if events:
            notify(self.store, self.channels(), events, clock=self.clock, retry=RETRY, sleep=_no_wait)
        return events

    def _tick_one(self, schedule: MaintenanceSchedule, now: datetime) -> list[DeploymentEvent]:
        events = []
        environment = None if schedule.scope == ALL else schedule.scope
        last = schedule.last_started_at
        if last is not None and schedule.last_ended_at != last and not self._open(environment, schedule, now):
            self.store.maintenance_schedules.mark(schedule.id, ended=last)
            events.append(self._event(EventKind.ENDED, schedule, last + schedule.duration, last))
        occurrence = Cron.parse(schedule.cron).last_at_or_before(now, within=schedule.duration)
        if occurrence is not None and occurrence != last:
            start_maintenance(
                self.store,
                environment=environment,
                duration=occurrence + schedule.duration - now,
                reason=schedule.reason,
                by=f"schedule #{schedule.id}",
                clock=self.clock,
            )
            self.store.maintenance_schedules.mark(schedule.id, started=occurrence)
            events.append(self._event(EventKind.STARTED, schedule, now, occurrence))
        return events

    def _open(self, environment: str | None, schedule: MaintenanceSchedule, now: datetime) -> bool:
        by = f"schedule #{schedule.id}"
        return any(
            w.started_by == by and w.scope == schedule.scope
            for w in maintenance_status(self.store, environment=environment, now=now)
        )

    def _event(
        self, kind: EventKind, schedule: MaintenanceSchedule, at: datetime, occurrence: datetime
    ) -> DeploymentEvent:
        return DeploymentEvent(
            kind=kind,
            environment=schedule.scope if schedule.scope != ALL else "all environments",
            execution_id=f"schedule-{schedule.id}-{occurrence:%Y%m%dT%H%M}",
            at=at,
            reason=schedule.reason,
            operation="maintenance",
            duration=schedule.duration if kind is EventKind.ENDED else None,
        )
