"""`InstanceRefresh`: replace a group's instances with a release, as EC2 Auto Scaling does.

Shape, and why: one asyncio coroutine per refresh (`run`), one per replacement within a batch, all
sleeping on the injected `Clock`. Written as straight-line code ("drain, wait the delay, terminate,
launch, probe until healthy and warmed up") each rule reads as AWS words it; on
`fleetops.testing.fake_clock.FakeClock` every sleep is instant and exact to the millisecond, so
tests assert the sequence and timing of port calls. A step-wise state machine would have made the
same rules a table of states and timers, harder to read for no gain in testability. Several
refreshes (one per service of a deployment wave) run concurrently on one loop.

Batches are sized by `fleetops.rollout.plan` (see its docstring for the AWS rules). Within a batch,
a terminate-first replacement drains its old instance (deregister, then the deregistration delay:
ELB shows a target `draining` until the delay elapses, and the group terminates it after), then
terminates it and launches the new one; a launch-first replacement launches, waits until the new
instance is healthy and warmed up, then drains and terminates the old one. The next batch starts
when every replacement of the batch is done, so the group is always back to its desired size and
settled before the next change.

Health. New instances are probed with target-group semantics (`fleetops.rollout.health`); an
instance counts as updated once healthy and `instance_warmup_ms` after launch ("An instance is
considered healthy and ready to use after it successfully completes its first health check and the
specified warmup time passes"). A new instance found unhealthy once its health check grace period
is over (the group's HealthCheckGracePeriod; by default the warmup, since AWS uses the grace
period as the default warmup) is terminated and replaced: a slow starter may fail its first
probes and still recover. AWS "keeps retrying for an hour" (`failure_timeout_ms`, default one
hour) and then fails the refresh. These timings are the refresh's `RefreshOptions`
(`fleetops.rollout.options`).
Choice where AWS is silent: once counted, new instances stay probed until the refresh ends
(Baking included) and one turning unhealthy fails the refresh, because a release that passes and
then dies is exactly what a rollout must catch; AWS would quietly replace it.

Alarms ("If any of the alarms goes into ALARM state, the instance refresh fails"): checked before
starting (in ALARM or INSUFFICIENT_DATA, AWS refuses to start), before each batch and every
`alarm_poll_interval_ms` (that watch, and the probing of counted instances, are
`fleetops.rollout.watchers`). INSUFFICIENT_DATA holds back new batches ("cannot replace instances
until new data points are found"). Alarms are also watched while Baking (AWS is silent; the bake
is the point of watching).

Stopping. `cancel()` and `rollback()` and any failure stop the refresh the same way: no new batch,
no retry; each replacement in flight finishes the step it began so no instance is left half-done:
a drain runs to termination, a terminate-first replacement still launches (the group keeps its
size), a launch-first replacement whose new instance is not yet counted removes it (the old one
stays). Cancelling "stops any further replacements"; instances already replaced stay.

Rollback (manual, or AutoRollback on failure) "replaces the instances that have been deployed so
far" with `previous_release`, with the same min/max healthy percentages and warmup, and neither
checkpoints, bake time nor alarms (the alarm that failed the refresh is likely still in ALARM);
it first launches whatever the group lacks. During a rollback, PercentageComplete measures the
rollback.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from enum import Enum
from typing import Any

from fleetops.errors import BadInput, Refused
from fleetops.rollout.alarms import AlarmGate
from fleetops.rollout.clock import Clock
from fleetops.rollout.health import ProbePolicy
from fleetops.rollout.instance import InstanceOps, InstanceSettings, LaunchFailed, Member, Verdict
from fleetops.rollout.options import RefreshOptions
from fleetops.rollout.plan import (
    checkpoints_reached,
    full_batch,
    next_batch,
    percentage,
    target_count,
)
from fleetops.rollout.port import FleetPort, GroupInstance
from fleetops.rollout.preferences import RefreshPreferences
from fleetops.rollout.report import FailureReport
from fleetops.rollout.status import RefreshEvent, RefreshStatus
from fleetops.rollout.watchers import Watchers

DEFAULT_OPTIONS = RefreshOptions()


class _Stop(Enum):
    CANCEL = "cancel"
    FAILURE = "failure"
    ROLLBACK = "rollback"


class InstanceRefresh:
    """One instance refresh of a group: `await run()` drives it to a terminal status.

    Read `status`, `status_reason`, `percentage_complete`, `instances_to_update`, `events` and
    `failure` at any time; call `cancel()` or `rollback()` from another task.
    """

    def __init__(
        self,
        *,
        port: FleetPort,
        clock: Clock,
        instances: Sequence[GroupInstance],
        target_release: str,
        preferences: RefreshPreferences,
        health_check: ProbePolicy,
        previous_release: str | None = None,
        options: RefreshOptions = DEFAULT_OPTIONS,
        refresh_id: str = "refresh-1",
        desired: int | None = None,
    ) -> None:
        problems: list[str] = []
        ids = [i.instance_id for i in instances]
        if len(set(ids)) != len(ids):
            problems.append(f"instance ids must be unique, got {ids}")
        if not target_release:
            problems.append("target release must not be empty")
        if desired is not None and desired < 0:
            problems.append(f"desired capacity must not be negative, got {desired}")
        if problems:
            raise BadInput("invalid instance refresh", problems)
        if previous_release is None:
            others = {i.release for i in instances} - {target_release}
            previous_release = others.pop() if len(others) == 1 else None
        self.refresh_id = refresh_id
        self.target_release = target_release
        self.previous_release = previous_release
        self.preferences = preferences
        self.health_check = health_check
        self.options = options
        # The group's desired capacity; the instances given may be off it when a refresh resumes
        # after a restart cut a batch short (see `_settle_capacity`).
        self.desired = len(instances) if desired is None else desired
        self._port = port
        self._clock = clock
        grace = options.health_check_grace_period_ms
        self._ops = InstanceOps(
            port,
            clock,
            InstanceSettings(
                health_check=health_check,
                instance_warmup_ms=preferences.instance_warmup_ms,
                grace_period_ms=preferences.instance_warmup_ms if grace is None else grace,
                deregistration_delay_ms=options.deregistration_delay_ms,
                probe_history=options.probe_history,
                log_lines=options.log_lines,
            ),
            self._event,
        )
        self._failure_timeout_ms = options.failure_timeout_ms
        self._alarm_poll_ms = options.alarm_poll_interval_ms
        self._members = {
            i.instance_id: Member(
                i.instance_id, i.release, updated=preferences.skip_matching and i.release == target_release
            )
            for i in instances
        }
        self._goal = target_count(self.desired, preferences)
        self.status = RefreshStatus.PENDING
        self.status_reason = ""
        self.start_time: int | None = None
        self.end_time: int | None = None
        self.last_checkpoint: int | None = None
        self.events: list[RefreshEvent] = []
        self.failure: FailureReport | None = None
        self._stop: _Stop | None = None
        self._stop_event = asyncio.Event()
        self._alarms = AlarmGate(port, preferences.alarms)
        self._watchers = Watchers(
            clock,
            self._ops,
            self._alarms,
            self._members,
            probe_interval_ms=health_check.interval_ms,
            alarm_poll_ms=options.alarm_poll_interval_ms,
            fail=lambda report: self._request_stop(_Stop.FAILURE, report),
        )

    # -- what a caller reads -------------------------------------------------------------------

    @property
    def percentage_complete(self) -> int:
        """Whole percent of the group updated (healthy, warmed up) in the current phase."""
        return percentage(sum(m.updated for m in self._members.values()), self.desired)

    @property
    def instances_to_update(self) -> int:
        """Instances still to replace before the current phase is done."""
        return max(self._goal - sum(m.updated for m in self._members.values()), 0)

    @property
    def instances(self) -> tuple[GroupInstance, ...]:
        """The group as it is now: every instance launched and not terminated."""
        return tuple(GroupInstance(m.instance_id, m.release) for m in self._members.values())

    def describe(self) -> dict[str, Any]:
        """The refresh in the shape of DescribeInstanceRefreshes (times in epoch milliseconds)."""
        out: dict[str, Any] = {
            "InstanceRefreshId": self.refresh_id,
            "Status": self.status.value,
            "StatusReason": self.status_reason,
            "PercentageComplete": self.percentage_complete,
            "InstancesToUpdate": self.instances_to_update,
            "Preferences": self.preferences.to_aws(),
        }
        if self.start_time is not None:
            out["StartTime"] = self.start_time
        if self.end_time is not None:
            out["EndTime"] = self.end_time
        return out

    # -- what a caller does --------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop replacing instances; the refresh ends Cancelled once work in flight is settled."""
        if self.status.terminal or self.status in (
            RefreshStatus.CANCELLING,
            RefreshStatus.ROLLBACK_IN_PROGRESS,
        ):
            raise Refused(f"instance refresh {self.refresh_id} is {self.status}; it cannot be cancelled")
        self._set(RefreshStatus.CANCELLING, "Cancelling: no further replacements will start.")
        self._request_stop(_Stop.CANCEL)

    def rollback(self) -> None:
        """Stop, then replace the instances deployed so far with the previous release."""
        if self.status.terminal or self.status in (
            RefreshStatus.CANCELLING,
            RefreshStatus.ROLLBACK_IN_PROGRESS,
        ):
            raise Refused(f"instance refresh {self.refresh_id} is {self.status}; it cannot be rolled back")
        if self.previous_release is None:
            raise Refused(f"instance refresh {self.refresh_id} has no previous release to roll back to")
        self._set(RefreshStatus.ROLLBACK_IN_PROGRESS, "Rollback requested.")
        self._request_stop(_Stop.ROLLBACK)

    async def run(self) -> RefreshStatus:
        """Drive the refresh to a terminal status and return it.

        Raises `Refused` without changing anything when an alarm is missing, in ALARM or in
        INSUFFICIENT_DATA, or when the refresh already ran.
        """
        if self.start_time is not None:
            raise Refused(f"instance refresh {self.refresh_id} has already run")
        await self._alarms.check_before_start()
        self.start_time = self._clock.now()
        if not self._stopping():
            self._set(RefreshStatus.IN_PROGRESS, f"Replacing instances with release {self.target_release}.")
        self._event(f"started: {self.desired} instances, target release {self.target_release}")
        if self.preferences.alarms:
            self._watchers.watch_alarms()
        try:
            await self._settle_capacity(self.target_release)
            await self._replace_all(self.target_release, self.preferences)
            if not self._stopping():
                await self._bake()
            if not self._stopping():
                self._finish(RefreshStatus.SUCCESSFUL, "Instance refresh completed.")
            else:
                await self._after_stop()
        finally:
            await self._watchers.stop()
        return self.status

    # -- phases --------------------------------------------------------------------------------

    async def _replace_all(self, release: str, preferences: RefreshPreferences) -> None:
        full = full_batch(self.desired, preferences)
        while not self._stopping():
            await self._hold_while_alarms_lack_data(preferences)
            if self._stopping():
                return
            old = [m for m in self._members.values() if not m.updated]
            on_target = self._updated()
            shape = next_batch(
                full,
                desired=self.desired,
                on_target=on_target,
                replaceable=len(old),
                preferences=preferences,
            )
            if shape.size == 0:
                return
            victims = old[: shape.size]
            self._event(
                f"batch: replacing {', '.join(m.instance_id for m in victims)} "
                f"({shape.launch_first} launch first, {shape.terminate_first} terminate first)"
            )
            await self._gather(
                *(
                    self._replace(member, release, launch_first=index < shape.launch_first)
                    for index, member in enumerate(victims)
                )
            )
            if self._stopping():
                return
            reached = checkpoints_reached(
                preferences, before=on_target, after=self._updated(), desired=self.desired
            )
            if reached:
                self.last_checkpoint = reached[-1]
                self._event(f"checkpoint {reached[-1]}% reached ({self.percentage_complete}% updated)")
                more = self._updated() < self._goal and any(not m.updated for m in self._members.values())
                if more:
                    delay = preferences.effective_checkpoint_delay_ms
                    self.status_reason = f"Checkpoint {reached[-1]}% reached; waiting {delay} ms."
                    await self._sleep(delay)

    async def _settle_capacity(self, release: str) -> None:
        """Bring the group back to its desired capacity before any batch, as an Auto Scaling
        group does: a refresh resumed after a restart finds the batch it was in cut short, a
        replacement launched before its old instance was retired (one too many) or an old one
        retired before its replacement launched (one too few). Surplus instances go, those not
        yet on the target first (the oldest of them first); missing ones launch on `release`."""
        surplus = len(self._members) - self.desired
        if surplus > 0:
            victims = sorted(self._members.values(), key=lambda m: m.updated)[:surplus]
            self._event(
                f"{len(self._members)} instances for a desired capacity of {self.desired}: "
                f"retiring {', '.join(m.instance_id for m in victims)}"
            )
            await self._gather(*(self._retire(m) for m in victims))
        elif surplus < 0:
            self._event(
                f"{len(self._members)} instances for a desired capacity of {self.desired}: "
                f"launching {-surplus} on release {release}"
            )
            await self._gather(*(self._bring_up(release, keep_when_stopped=True) for _ in range(-surplus)))

    async def _replace(self, old: Member, release: str, *, launch_first: bool) -> None:
        try:
            if launch_first:
                if await self._bring_up(release, keep_when_stopped=False) is not None:
                    await self._retire(old)
            else:
                await self._retire(old)
                await self._bring_up(release, keep_when_stopped=True)
        except Exception as err:  # a port error fails the refresh with a report, like a health failure
            reason = f"Replacing {old.instance_id} failed: {type(err).__name__}: {err}"
            self._request_stop(_Stop.FAILURE, FailureReport(reason, instance_id=old.instance_id))

    async def _bake(self) -> None:
        if self.preferences.bake_time_ms <= 0:
            return
        self._set(RefreshStatus.BAKING, f"Baking for {self.preferences.bake_time_ms} ms.")
        self._event("baking")
        await self._sleep(self.preferences.bake_time_ms)

    async def _after_stop(self) -> None:
        reason = self.failure.reason if self.failure else ""
        if self._stop is _Stop.CANCEL:
            self._finish(RefreshStatus.CANCELLED, "Instance refresh cancelled.")
        elif self._stop is _Stop.ROLLBACK or self.preferences.auto_rollback:
            if self.previous_release is None:
                self._finish(RefreshStatus.FAILED, f"{reason} No previous release to roll back to.")
            else:
                await self._rollback(self.previous_release, reason)
        else:
            self._finish(RefreshStatus.FAILED, reason)

    async def _rollback(self, release: str, reason: str) -> None:
        await self._watchers.stop()
        self._stop, self._stop_event = None, asyncio.Event()
        self._set(RefreshStatus.ROLLBACK_IN_PROGRESS, f"{reason} Rolling back to release {release}.".strip())
        self._event(f"rollback to release {release}")
        for member in self._members.values():
            member.updated = member.release == release
        self._goal = self.desired
        missing = self.desired - len(self._members)
        await self._gather(*(self._bring_up(release, keep_when_stopped=True) for _ in range(missing)))
        plain = dataclasses.replace(
            self.preferences,
            checkpoint_percentages=(),
            checkpoint_delay_ms=None,
            bake_time_ms=0,
            alarms=(),
        )
        if not self._stopping():
            await self._replace_all(release, plain)
        if not self._stopping():
            self._finish(RefreshStatus.ROLLBACK_SUCCESSFUL, f"Rolled back to release {release}.")
        else:
            failed = self.failure.reason if self.failure else "rollback stopped"
            self._finish(RefreshStatus.ROLLBACK_FAILED, failed)

    # -- one instance --------------------------------------------------------------------------

    async def _bring_up(self, release: str, *, keep_when_stopped: bool) -> Member | None:
        """Launch an instance of `release` until one is ready; retry failures until the timeout."""
        first_failure: int | None = None
        while True:
            if self._stopping() and not keep_when_stopped:
                return None
            member: Member | None
            try:
                member = await self._ops.launch(release, self._track)
            except LaunchFailed as err:
                member, verdict = None, Verdict.UNHEALTHY
                report = FailureReport(f"Launching release {release} failed: {err}", release=release)
            else:
                verdict = await self._ops.await_ready(
                    member, stopping=self._stopping, sleep_until=self._sleep_until, waiting=self._waiting
                )
            if member is not None and verdict is Verdict.READY:
                member.updated = True
                if self.status is not RefreshStatus.ROLLBACK_IN_PROGRESS:
                    self._watchers.watch_health(member)
                return member
            if member is not None and verdict is Verdict.STOPPED:
                if keep_when_stopped:
                    return member
                await self._discard(member)
                return None
            if member is not None:
                reason = f"Instance {member.instance_id} failed its health checks."
                report = await self._ops.report(member, reason)
            now = self._clock.now()
            first_failure = now if first_failure is None else first_failure
            if now - first_failure >= self._failure_timeout_ms:
                self._request_stop(_Stop.FAILURE, report)
                if member is not None and not keep_when_stopped:
                    await self._discard(member)
                    return None
                return member
            self._event(f"{report.reason} Replacing it.")
            if member is not None:
                await self._discard(member)

    def _track(self, member: Member) -> None:
        self._members[member.instance_id] = member

    def _waiting(self, member: Member) -> None:
        if self.status is RefreshStatus.IN_PROGRESS:
            self.status_reason = (
                f"Waiting for instances to warm up before continuing. For example: {member.instance_id} "
                "is warming up."
            )

    async def _retire(self, member: Member) -> None:
        await self._ops.retire(member)
        self._members.pop(member.instance_id, None)

    async def _discard(self, member: Member) -> None:
        await self._ops.discard(member)
        self._members.pop(member.instance_id, None)

    # -- alarms ---------------------------------------------------------------------------------

    async def _hold_while_alarms_lack_data(self, preferences: RefreshPreferences) -> None:
        if not preferences.alarms:
            return
        await self._watchers.read_alarms()
        since = self._clock.now()
        while not self._stopping() and self._alarms.lacks_data:
            if self._clock.now() - since >= self._failure_timeout_ms:
                reason = "Alarms stayed in INSUFFICIENT_DATA; no replacement could start."
                self._request_stop(_Stop.FAILURE, FailureReport(reason, alarms=self._alarms.snapshot()))
                return
            self.status_reason = "Waiting for alarms to leave INSUFFICIENT_DATA."
            await self._sleep(self._alarm_poll_ms)
            await self._watchers.read_alarms()

    # -- helpers -------------------------------------------------------------------------------

    def _stopping(self) -> bool:
        # a method, not an attribute test, because other tasks set it while this one awaits
        return self._stop is not None

    def _updated(self) -> int:
        return sum(m.updated for m in self._members.values())

    def _request_stop(self, kind: _Stop, report: FailureReport | None = None) -> None:
        if self._stop is not None:
            return
        self._stop = kind
        if report is not None:
            self.failure = report
            self.status_reason = report.reason
            self._event(f"failed: {report.reason}")
        self._stop_event.set()

    async def _sleep(self, ms: int) -> None:
        await self._sleep_until(self._clock.now() + ms)

    async def _sleep_until(self, at_ms: int) -> None:
        """Sleep until `at_ms`, or until the refresh is asked to stop."""
        delay = at_ms - self._clock.now()
        if delay <= 0 or self._stopping():
            return
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        stopper = asyncio.ensure_future(self._stop_event.wait())
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        sleeper.cancel()
        stopper.cancel()
        await asyncio.gather(sleeper, stopper, return_exceptions=True)

    async def _gather(self, *coroutines: Any) -> None:
        results = await asyncio.gather(*coroutines, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def _set(self, status: RefreshStatus, reason: str) -> None:
        self.status, self.status_reason = status, reason

    def _finish(self, status: RefreshStatus, reason: str) -> None:
        self._set(status, reason)
        self.end_time = self._clock.now()
        self._event(f"{status.value}: {reason}")

    def _event(self, message: str) -> None:
        self.events.append(RefreshEvent(self._clock.now(), message))
