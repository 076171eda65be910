"""``AlarmRunbooks``: the runbooks alarms start (an alarm's ``actions.runbook``), gated, audited.

Every runbook an alarm starts first passes the gate every change of a fleet passes
(``fleetops.ops.gates.check_change``): refused while a maintenance window is open for the
environment, while the alarm's service is blocked, or while anyone (a deployment, a rollback)
holds the environment's lock. Then:

- ``rollback``: the rollback runbook for the alarm's service (``Deployments.rollback``), started
  on the server's event loop (the execution service lives there; alarm actions run on a thread
  of their own);
- ``scale-out``: the service's desired count plus one (``FleetRuntime.scale``, its scaling
  activity naming the alarm), refused at its ``instances.max`` or during a rollout.

Each start, or refusal (with its reason), is an audit entry whose actor is ``alarm:<name>`` and
whose action is ``alarm.runbook``; the starter then raises, and ``AlarmActions`` records the
refusal in the alarm's history without letting it reach alarm evaluation.

The parts are bound late (``bind``): the runtimes, which take the starter, are built before the
deployments and the event loop exist.
"""

from __future__ import annotations

import asyncio

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.control.deployments import Deployments
from fleetops.control.environments import Environments
from fleetops.errors import BadInput, Refused
from fleetops.ops.alarms.actions import StartRunbook
from fleetops.ops.gates import check_change
from fleetops.spec.resources import AlarmRunbook
from fleetops.store import Store
from fleetops.store.audit import Outcome

TIMEOUT_S = 30.0


class AlarmRunbooks:
    """See the module docstring."""

    def __init__(self, store: Store, *, clock: Clock = SYSTEM_CLOCK) -> None:
        """``clock``: when the gate looks at maintenance windows and the lock's lease."""
        self.store = store
        self.clock = clock
        self._deployments: Deployments | None = None
        self._environments: Environments | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(
        self,
        *,
        deployments: Deployments | None = None,
        environments: Environments | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """Give the parts known later (each only when given)."""
        self._deployments = deployments or self._deployments
        self._environments = environments or self._environments
        self._loop = loop or self._loop

    def starter(self, environment: str) -> StartRunbook:
        """The ``start_runbook`` of ``environment``'s alarm actions."""

        def start(runbook: AlarmRunbook, service: str, alarm: str, reason: str) -> str:
            target = f"{environment}/{service}"
            arguments = {"runbook": runbook.value, "reason": reason[:500]}
            try:
                check_change(
                    self.store, environment, [service], clock=self.clock,
                    action=f"{runbook.value} of {service!r} in {environment!r} by alarm {alarm!r}",
                )  # fmt: skip
                started = self._start(environment, runbook, service, alarm)
            except Exception as err:
                # Bounds and gates refuse; anything else is a start that failed.
                refused = isinstance(err, Refused | BadInput)
                self.store.audit.record(
                    actor=f"alarm:{alarm}", action="alarm.runbook", target=target, arguments=arguments,
                    outcome=Outcome.REFUSED if refused else Outcome.FAILED, error=str(err),
                )  # fmt: skip
                raise
            self.store.audit.record(
                actor=f"alarm:{alarm}", action="alarm.runbook", target=target, arguments=arguments
            )
            return started

        return start

    def _start(self, environment: str, runbook: AlarmRunbook, service: str, alarm: str) -> str:
        if runbook is AlarmRunbook.SCALE_OUT:
            runtime = self._environments.get(environment) if self._environments else None
            found = [s for s in runtime.services_status().services if s.name == service] if runtime else []
            if runtime is None or not found:
                raise RuntimeError(f"environment {environment!r} does not run {service!r} here")
            desired = found[0].desired
            # BadInput above max, Refused during a rollout
            runtime.scale(
                service, desired + 1, cause=f"a monitor alarm {alarm} in state ALARM started scale-out"
            )
            return f"desired count of {service} {desired} -> {desired + 1}"
        deployments, loop = self._deployments, self._loop
        if deployments is None or loop is None:
            raise RuntimeError("the control plane is not running: no runbook can start")

        async def on_loop() -> str:
            started = deployments.rollback(
                environment=environment, services=[service], requested_by=f"alarm:{alarm}"
            )
            return started.name

        name = asyncio.run_coroutine_threadsafe(on_loop(), loop).result(timeout=TIMEOUT_S)
        return f"rollback execution {name}"
