"""``ProviderPort``: one service of a Provider as the rollout's ``FleetPort``.

- ``launch`` starts an instance of the version (the provider adds the service's env and that
  version's overrides; ``launch_env``, the rollout's, pins the secret versions of its release)
  and returns once the provider reports it InService, that is once the load
  balancer's own health checks pass and it takes traffic, so a refresh never counts an instance
  users cannot reach yet. It gives up waiting after ``launch_timeout_s`` (or when the instance
  ends) and returns the id anyway: the rollout's probes then judge it and report why it failed.
- ``register`` does nothing: the provider registers every instance with its load balancer at
  launch (a local HAProxy server, an ASG instance in its target group).
- ``wait_drained`` returns once the provider reports the deregistered instance ``unused`` (the
  local supervisor does once HAProxy has had no session on it for two of its ticks), or when it
  has ended or is unknown, at the latest after the deregistration delay.
- ``probe`` is a real HTTP request to the instance's health path, cut at the timeout.
- ``alarm_states`` answers from the runtime's ``AlarmMonitor`` (``fleetops.ops.alarms``) for this
  service; without one, no alarm exists (a gate naming alarms then refuses to start).
- ``recent_logs`` reads the instance's log records through ``provider.logs``.

Provider calls block (a process spawn, a socket to HAProxy), so they run in worker threads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

import httpx

from fleetops.log_records import format_log_record
from fleetops.providers.base import InstanceState, ManagedProvider, TargetHealth
from fleetops.rollout import ProbeResult
from fleetops.tls import default_tls

_ENDED = (InstanceState.TERMINATING, InstanceState.TERMINATED, InstanceState.DRAINING)
_GONE = (InstanceState.TERMINATING, InstanceState.TERMINATED)
OTHER_PINS = " (other secret versions)"
"""Marks the release of an instance started with other secret pins than its rollout's: not a
match for SkipMatching; launched again (a rollback) as its plain version."""


class AlarmStates(Protocol):
    """Alarm states by service (``fleetops.ops.alarms.AlarmMonitor``)."""

    def states(self, service: str, names: Sequence[str]) -> dict[str, str]:
        """State of each alarm named, for ``service``; unknown alarms are left out."""
        ...


class ProviderPort:
    """The ``FleetPort`` of one service of ``provider``."""

    def __init__(
        self,
        provider: ManagedProvider,
        service: str,
        *,
        health_path: str = "/health",
        launch_timeout_s: float = 30.0,
        poll_s: float = 0.05,
        alarms: AlarmStates | None = None,
    ) -> None:
        self.provider = provider
        self.alarms = alarms
        self.service = service
        self.health_path = health_path
        self.launch_timeout_s = launch_timeout_s
        self._poll_s = poll_s
        self._http = httpx.AsyncClient(verify=default_tls())
        self.launch_env: Mapping[str, str] = {}
        """Env of the instances the running rollout launches (one rollout per service at a time)."""

    async def launch(self, release: str) -> str:
        version = release.removesuffix(OTHER_PINS)
        info = await asyncio.to_thread(self.provider.launch, self.service, version, env=self.launch_env)
        deadline = time.monotonic() + self.launch_timeout_s
        while info.state is InstanceState.PENDING and time.monotonic() < deadline:
            await asyncio.sleep(self._poll_s)
            info = await asyncio.to_thread(self.provider.instance, info.id)
        return info.id

    async def register(self, instance_id: str) -> None:
        return None

    async def deregister(self, instance_id: str) -> None:
        await asyncio.to_thread(self.provider.deregister, instance_id)

    async def wait_drained(self, instance_id: str, timeout_ms: int) -> None:
        deadline = time.monotonic() + timeout_ms / 1000
        while (left := deadline - time.monotonic()) > 0:
            try:
                info = await asyncio.to_thread(self.provider.instance, instance_id)
            except KeyError:  # no longer known: nothing left to drain
                return
            if info.health is TargetHealth.UNUSED or info.state in _GONE:
                return
            await asyncio.sleep(min(self._poll_s, left))

    async def terminate(self, instance_id: str) -> None:
        await asyncio.to_thread(self.provider.terminate, instance_id)

    async def probe(self, instance_id: str, timeout_ms: int) -> ProbeResult:
        info = await asyncio.to_thread(self.provider.instance, instance_id)
        started = time.monotonic()
        if info.state in _ENDED:
            return ProbeResult(None, 0, f"instance is {info.state}")
        url = f"http://{info.address}:{info.port}{self.health_path}"
        try:
            response = await self._http.get(url, timeout=timeout_ms / 1000)
        except httpx.TimeoutException:
            return ProbeResult(None, _ms_since(started), f"timed out after {timeout_ms}ms")
        except httpx.HTTPError as err:
            return ProbeResult(None, _ms_since(started), _describe(err))
        return ProbeResult(response.status_code, _ms_since(started))

    async def alarm_states(self, names: Sequence[str]) -> Mapping[str, str]:
        if self.alarms is None:
            return {}
        return await asyncio.to_thread(self.alarms.states, self.service, names)

    async def recent_logs(self, instance_id: str, n: int) -> Sequence[str]:
        records = await asyncio.to_thread(self.provider.logs, self.service, instance_id=instance_id, limit=n)
        return [format_log_record(record) for record in records]

    async def close(self) -> None:
        """Close the HTTP client of the probes."""
        await self._http.aclose()


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _describe(err: httpx.HTTPError) -> str:
    if isinstance(err, httpx.ConnectError):
        return "connection refused"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
