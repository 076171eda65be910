"""`Watchers`: what a refresh watches in the background while it replaces instances.

- each instance once counted as updated is probed on, every health check interval, until the
  refresh ends or the instance leaves the group; one turning unhealthy fails the refresh (a
  release that passes and then dies is what a rollout must catch; AWS would quietly replace it);
- the alarms of the preferences are read every `alarm_poll_interval_ms`; one in ALARM fails the
  refresh ("If any of the alarms goes into ALARM state, the instance refresh fails").

A failure is handed to `fail` with its report; the refresh decides what stopping means.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fleetops.rollout.alarms import AlarmGate
from fleetops.rollout.clock import Clock
from fleetops.rollout.health import TargetState
from fleetops.rollout.instance import InstanceOps, Member
from fleetops.rollout.report import FailureReport


class Watchers:
    """The background watches of one refresh (see the module docstring).

    `members` is the refresh's group (by instance id), read as it changes: a member that left it
    is no longer probed.
    """

    def __init__(
        self,
        clock: Clock,
        ops: InstanceOps,
        alarms: AlarmGate,
        members: Mapping[str, Member],
        *,
        probe_interval_ms: int,
        alarm_poll_ms: int,
        fail: Callable[[FailureReport], None],
    ) -> None:
        self._clock = clock
        self._ops = ops
        self._alarms = alarms
        self._members = members
        self._probe_interval_ms = probe_interval_ms
        self._alarm_poll_ms = alarm_poll_ms
        self._fail = fail
        self._tasks: set[asyncio.Task[None]] = set()

    def watch_health(self, member: Member) -> None:
        """Keep probing a counted instance in the background."""
        self._start(self._health(member))

    def watch_alarms(self) -> None:
        """Read the alarms every poll interval in the background."""
        self._start(self._poll_alarms())

    async def read_alarms(self) -> None:
        """Read the alarms now; one in ALARM fails the refresh."""
        report = await self._alarms.read()
        if report is not None:
            self._fail(report)

    async def stop(self) -> None:
        """Cancel every watch and wait for them to end."""
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _health(self, member: Member) -> None:
        while member.instance_id in self._members:
            await self._clock.sleep(self._probe_interval_ms)
            if member.instance_id in self._members and await self._ops.probe(member) is TargetState.UNHEALTHY:
                reason = f"Instance {member.instance_id} became unhealthy after it was counted as updated."
                self._fail(await self._ops.report(member, reason))
                return

    async def _poll_alarms(self) -> None:
        while True:
            await self._clock.sleep(self._alarm_poll_ms)
            await self.read_alarms()

    def _start(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self._tasks.add(asyncio.ensure_future(coroutine))
