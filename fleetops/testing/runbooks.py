"""Run the built-in runbooks in a test: the real engine on a fake clock, in-memory fleet runtimes.

    async def scenario():
        world = RunbookWorld.make(store, fleet)           # inside a running loop
        world.runtimes["dev"].behave("orders", "v3", Behaviour(unhealthy_after_ms=5_000))
        result = await world.run("deploy", {"environment": "dev", "version": "v3"}, name="d1")
    asyncio.run(scenario())

The engine's ``FakeClock(auto_advance=True)`` drives Wait states, the rollouts' probes, warmups
and bake times alike, so a deployment of minutes runs in milliseconds; locks, releases and
notifications are stamped with the same virtual time.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from fleetops.engine import Engine, ExecutionHandle, ExecutionResult, Registry, TaskContext, TaskFailure
from fleetops.engine.definition.resources import parse_resource
from fleetops.ops.notify import RetryPolicy
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.runbooks import definition
from fleetops.runbooks.wiring import RunbookDeps, register_handlers
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@dataclass
class HeldCall:
    """A handler call held in its thread (see :meth:`RunbookWorld.hold`)."""

    entered: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)
    left: threading.Event = field(default_factory=threading.Event)

    async def reached(self, timeout: float = 30) -> None:
        """Wait until the held call has started (and waits)."""
        if not await asyncio.to_thread(self.entered.wait, timeout):
            raise TimeoutError(f"the held call did not start within {timeout}s")

    async def release(self, timeout: float = 30) -> None:
        """Let the held call go on, and wait until it has returned."""
        self.go.set()
        if not await asyncio.to_thread(self.left.wait, timeout):
            raise TimeoutError(f"the held call did not end within {timeout}s")


def fail_calls(registry: Registry, resource: str, error: str, cause: str) -> None:
    """Make every call of the handler registered for ``resource`` fail with ``error`` and
    ``cause`` before it runs: a step of a runbook failing, injected."""
    if parse_resource(resource) is None:
        raise KeyError(f"not a resource: {resource!r}")

    def handler(_payload: Any, _context: TaskContext) -> Any:
        raise TaskFailure(error, cause)

    registry.register(resource, handler)


def hold_calls(
    registry: Registry,
    resource: str,
    *,
    when: Callable[[Any], bool] = lambda _payload: True,
    after: bool = False,
) -> HeldCall:
    """Hold the calls of the handler registered for ``resource`` whose input ``when`` accepts,
    in their thread, until ``release()``: before the handler runs, or with ``after`` once it
    has run and before its result (or error) reaches the engine. A test makes a handler still
    running, or done but not yet recorded, when something else happens (a stop)."""
    ref = parse_resource(resource)
    registered = None if ref is None else registry.handler_for(ref)
    if registered is None:
        raise KeyError(f"no handler is registered for {resource!r}")
    held, function, takes_context = HeldCall(), registered.function, registered.takes_context

    def wait() -> None:
        held.entered.set()
        held.go.wait(60)

    def handler(payload: Any, context: TaskContext) -> Any:
        if not when(payload):
            return function(payload, context) if takes_context else function(payload)
        if not after:
            wait()
        try:
            return function(payload, context) if takes_context else function(payload)
        finally:
            if after:
                wait()
            held.left.set()

    registry.register(resource, handler)
    return held


@dataclass
class RunbookWorld:
    """A store, a fleet, one in-memory runtime per environment, and an engine running runbooks."""

    store: Store
    fleet: Fleet
    clock: FakeClock
    runtimes: dict[str, InMemoryFleetRuntime]
    registry: Registry
    engine: Engine
    deps: RunbookDeps

    @classmethod
    def make(
        cls,
        store: Store,
        fleet: Fleet,
        *,
        environments: Sequence[str] | None = None,
        initial_version: str = "v1",
        http: httpx.Client | None = None,
        secrets: SecretsVault | None = None,
    ) -> RunbookWorld:
        """Build the world; call inside the event loop the runbooks will run on."""
        clock = FakeClock(T0, auto_advance=True)
        runtimes = {
            env: InMemoryFleetRuntime(
                fleet, env, clock=clock, loop=asyncio.get_running_loop(), initial_version=initial_version
            )
            for env in (environments or list(fleet.environments))
        }
        deps = RunbookDeps(
            store=store,
            fleet=lambda _environment: fleet,
            runtime_for=runtimes.__getitem__,
            clock=clock,
            http=http,
            notify_retry=RetryPolicy(attempts=1),
            secrets=secrets,
        )
        registry = Registry()
        register_handlers(registry, deps)
        return cls(store, fleet, clock, runtimes, registry, Engine(registry, clock=clock), deps)

    def hold(self, resource: str, service: str) -> HeldCall:
        """Hold the next calls of ``resource`` (``fleetops:deploy-service``) for ``service`` in
        their thread until ``release()``: a test makes a handler still running when something
        else happens (a stop, a rollback plan) deterministically."""
        return hold_calls(self.registry, resource, when=lambda payload: payload.get("service") == service)

    def start(self, runbook: str, input: dict[str, Any], *, name: str) -> ExecutionHandle:
        """Start built-in runbook ``runbook`` (``deploy``, ``rollback``) as execution ``name``."""
        return self.engine.start_execution(definition(runbook), input, name=name, state_machine_name=runbook)

    async def run(self, runbook: str, input: dict[str, Any], *, name: str) -> ExecutionResult:
        """Start the runbook and wait for its end."""
        return await self.start(runbook, input, name=name).result()

    def versions(self, environment: str = "dev") -> dict[str, str]:
        """What each service of ``environment`` runs now."""
        return self.runtimes[environment].current_versions()
