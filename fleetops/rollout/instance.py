"""One instance through a refresh: launch and register, the health gate, drain and terminate.

`InstanceOps` holds the per-instance rules so `InstanceRefresh` reads as batches and phases:

- The health gate probes every `interval_ms` (start to start) and lets an instance count once it
  is healthy and `instance_warmup_ms` have passed since launch. An instance still unhealthy when
  its health check grace period is over (ASG HealthCheckGracePeriod) is condemned; before that, a
  slow starter may fail probes and recover (unhealthy -> healthy after HealthyThresholdCount).
- A probe slower than the health check timeout is cut at the timeout and fails.
- Retiring an instance drains it: deregister, wait until its requests in flight are done, at
  most the deregistration delay, terminate. ELB: "If a deregistering target has no in-flight
  requests and no active connections, Elastic Load Balancing immediately completes the
  deregistration process, without waiting for the deregistration delay to elapse"; Auto Scaling
  terminates it then. An instance that never became healthy got no traffic and is removed
  without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from fleetops.rollout.clock import Clock
from fleetops.rollout.health import HealthTracker, ProbePolicy, ProbeResult, TargetState
from fleetops.rollout.port import FleetPort
from fleetops.rollout.report import FailureReport


@dataclass
class Member:
    """An instance of the group as a refresh tracks it."""

    instance_id: str
    release: str
    updated: bool = False
    """Counts toward PercentageComplete of the current phase (new, healthy and warmed up)."""
    launched_at: int | None = None
    health: HealthTracker | None = None


class Verdict(Enum):
    """How the health gate of a new instance ended."""

    READY = "ready"
    UNHEALTHY = "unhealthy"
    STOPPED = "stopped"


class LaunchFailed(Exception):
    """The port could not launch an instance; the message says why."""


@dataclass(frozen=True)
class InstanceSettings:
    """The timings of one instance's lifecycle."""

    health_check: ProbePolicy
    instance_warmup_ms: int
    grace_period_ms: int
    deregistration_delay_ms: int
    probe_history: int = 10
    log_lines: int = 20


class InstanceOps:
    """Performs the per-instance steps through the port, reporting each as an event."""

    def __init__(
        self,
        port: FleetPort,
        clock: Clock,
        settings: InstanceSettings,
        on_event: Callable[[str], None],
    ) -> None:
        self._port = port
        self._clock = clock
        self.settings = settings
        self._event = on_event

    async def launch(self, release: str, track: Callable[[Member], None]) -> Member:
        """Launch and register an instance of `release`; `track` sees it before registration."""
        try:
            instance_id = await self._port.launch(release)
        except Exception as err:
            raise LaunchFailed(f"{type(err).__name__}: {err}") from err
        member = Member(
            instance_id,
            release,
            launched_at=self._clock.now(),
            health=HealthTracker(self.settings.health_check, history=self.settings.probe_history),
        )
        track(member)
        self._event(f"launched {instance_id} ({release})")
        await self._port.register(instance_id)
        return member

    async def await_ready(
        self,
        member: Member,
        *,
        stopping: Callable[[], bool],
        sleep_until: Callable[[int], Awaitable[None]],
        waiting: Callable[[Member], None],
    ) -> Verdict:
        """Probe until the instance is healthy and warmed up, condemned, or the refresh stops."""
        assert member.health is not None and member.launched_at is not None
        warm_at = member.launched_at + self.settings.instance_warmup_ms
        grace_ends = member.launched_at + self.settings.grace_period_ms
        next_probe = self._clock.now()
        while True:
            if stopping():
                return Verdict.STOPPED
            if self._clock.now() >= next_probe:
                next_probe = self._clock.now() + self.settings.health_check.interval_ms
                state = await self.probe(member)
                if state is TargetState.UNHEALTHY and self._clock.now() >= grace_ends:
                    return Verdict.UNHEALTHY
            healthy = member.health.state is TargetState.HEALTHY
            if healthy and self._clock.now() >= warm_at:
                return Verdict.READY
            waiting(member)
            await sleep_until(min(next_probe, warm_at) if healthy else next_probe)

    async def probe(self, member: Member) -> TargetState:
        """One health check, cut at the timeout; returns the target's new state."""
        assert member.health is not None
        started = self._clock.now()
        timeout = self.settings.health_check.timeout_ms
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            async with asyncio.timeout(timeout / 1000):
                result = await self._port.probe(member.instance_id, timeout)
        except TimeoutError:
            result = ProbeResult(None, self._clock.now() - started, f"timed out after {timeout}ms")
        except Exception as err:
            result = ProbeResult(None, self._clock.now() - started, f"{type(err).__name__}: {err}")
        return member.health.record(started, result)

    async def retire(self, member: Member) -> None:
        """Drain (deregister, wait until drained, at most the deregistration delay), then terminate."""
        member.updated = False
        await self._port.deregister(member.instance_id)
        self._event(f"draining {member.instance_id}")
        await self._port.wait_drained(member.instance_id, self.settings.deregistration_delay_ms)
        await self._port.terminate(member.instance_id)
        self._event(f"terminated {member.instance_id}")

    async def discard(self, member: Member) -> None:
        """Remove an instance that never served: no drain needed."""
        await self._port.deregister(member.instance_id)
        await self._port.terminate(member.instance_id)
        self._event(f"terminated {member.instance_id} (never healthy)")

    async def report(self, member: Member, reason: str) -> FailureReport:
        """A failure report on the instance: its last probes and its last log lines."""
        try:
            logs = tuple(await self._port.recent_logs(member.instance_id, self.settings.log_lines))
        except Exception as err:
            logs = (f"(logs unavailable: {type(err).__name__}: {err})",)
        return FailureReport(
            reason=reason,
            instance_id=member.instance_id,
            release=member.release,
            probes=member.health.history if member.health else (),
            log_lines=logs,
        )
