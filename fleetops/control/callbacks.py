"""SendTaskSuccess/Failure/Heartbeat and StopExecution wherever the execution runs.

A task token is pending in the memory of the server running its execution. A callback that
reaches another server (several behind one address) is left in the store for the running one,
which applies it within half a second; so is a StopExecution. Limitation: tasks inside a DISTRIBUTED Map are
reachable only through the server running them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from fleetops.engine import Engine, TaskDoesNotExist
from fleetops.engine.runtime.failures import to_json
from fleetops.store import Store
from fleetops.store.executions import RUNNING, ExecutionDoesNotExist

log = logging.getLogger(__name__)

STOP = "stop"
"""The kind of a forwarded StopExecution (its token is empty)."""


class CallbackRelay:
    """The task callbacks of one execution service: its engine, its store and its lease owner.

    ``flush`` writes the service's pending events (a token is in the store once flushed);
    ``running`` says which executions run here now.
    """

    def __init__(
        self,
        engine: Engine,
        store: Store,
        *,
        owner: str,
        flush: Callable[[], None],
        running: Callable[[], frozenset[str]],
    ) -> None:
        self._engine = engine
        self._store = store
        self._owner = owner
        self._flush = flush
        self._running = running

    def send_task_success(self, token: str, output: Any) -> None:
        """SendTaskSuccess (TaskDoesNotExist when no execution waits for ``token``)."""
        engine = self._engine
        self._send(token, "success", lambda: engine.send_task_success(token, output), output=to_json(output))

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """SendTaskFailure."""
        engine = self._engine
        self._send(
            token, "failure", lambda: engine.send_task_failure(token, error, cause), error=error, cause=cause
        )

    def send_task_heartbeat(self, token: str) -> None:
        """SendTaskHeartbeat."""
        engine = self._engine
        self._send(token, "heartbeat", lambda: engine.send_task_heartbeat(token))

    def _send(self, token: str, kind: str, here: Callable[[], None], **values: str | None) -> None:
        try:
            here()
            return
        except TaskDoesNotExist:
            # Not pending here: maybe pending on the peer that runs its execution.
            self._flush()
            arn = self._store.task_callbacks.execution_of(token)
            if arn is None or arn in self._running():
                raise
            try:
                record = self._store.executions.get(arn)
            except ExecutionDoesNotExist:
                raise TaskDoesNotExist(
                    f"Task Token does not exist or has already completed: {token!r}"
                ) from None
            if record.status != RUNNING or record.lease_owner in (None, self._owner):
                raise
        self._store.task_callbacks.forward(token, arn, kind, **values)

    def deliver(self) -> int:
        """Apply the callbacks peers left for executions running here; how many were applied."""
        callbacks = self._store.task_callbacks.pending(self._running())
        applied = 0
        for callback in callbacks:
            try:
                if callback.kind == STOP:
                    if callback.execution_arn in self._running():
                        self._engine.stop_execution(callback.execution_arn, callback.error, callback.cause)
                elif callback.kind == "success":
                    self._engine.send_task_success(callback.token, json.loads(callback.output or "null"))
                elif callback.kind == "failure":
                    self._engine.send_task_failure(callback.token, callback.error, callback.cause)
                else:
                    self._engine.send_task_heartbeat(callback.token)
                applied += 1
            except TaskDoesNotExist:
                log.info("a forwarded %s for a task no longer waiting was dropped", callback.kind)
        self._store.task_callbacks.done([callback.id for callback in callbacks])
        return applied

    async def deliver_forever(self, every_seconds: float) -> None:
        """:meth:`deliver` every ``every_seconds`` until cancelled."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                self.deliver()
            except Exception:
                log.exception("cannot deliver forwarded task callbacks; retrying")
