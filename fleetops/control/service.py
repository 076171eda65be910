"""``ExecutionService``: one Engine per server process, its executions durable and leased.

Every execution the service runs is a row in ``executions`` whose lease this process holds;
its events go to the store through a :class:`~fleetops.store.journal.JournalWriter`. On
``start()`` the service claims RUNNING executions with no live lease (this server's own, after
a crash or kill, or a dead peer's) and resumes each from its history; while it runs it renews
its leases and keeps claiming orphans, so a peer's executions move here when the peer dies.
An execution whose lease is found held by another server is dropped here at once. The lease
keeping, orphan claiming and quarantine are ``fleetops.control.leases``; the task callbacks that
reach another server are ``fleetops.control.callbacks``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fleetops.clock import Clock
from fleetops.control.callbacks import STOP, CallbackRelay
from fleetops.control.leases import Leases
from fleetops.control.machines import StateMachines
from fleetops.control.names import InvalidExecutionInput, check_arn, check_name, parse_json
from fleetops.control.versions import resolve
from fleetops.engine import (
    Engine,
    ExecutionAlreadyExists,
    ExecutionHandle,
    ExecutionResult,
    ExecutionStatus,
    HistoryEvent,
    Registry,
    StateMachine,
    parse_definition,
    redriven_event,
)
from fleetops.engine.runtime.failures import to_json
from fleetops.errors import BadInput, Refused
from fleetops.redaction import Redactor, secret_redactor
from fleetops.store import Store
from fleetops.store.executions import RUNNING, ExecutionRecord
from fleetops.store.journal import JournalWriter

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
"""How long a lease lasts without renewal: a killed server's executions resume elsewhere after it."""
RENEW_SECONDS = 10.0
"""How often leases are renewed and orphaned executions looked for."""
CALLBACK_SECONDS = 0.5
"""How often task callbacks that peers received for executions running here are looked for."""
PARSED_CACHE_SIZE = 256
"""How many parsed definitions are kept (then the cache starts over)."""
StopProcedure = Callable[[str, str, str | None, str | None], Awaitable[object]]
"""How the executions of one state machine are stopped: called with the execution's ARN, who
stops it, the error and the cause (a built-in runbook's also undoes what the execution did)."""


REDRIVABLE = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
"""Statuses RedriveExecution accepts."""
REDRIVE_WINDOW = timedelta(days=14)
"""How long after its end an execution can be redriven (AWS: 14 days)."""

SHUTDOWN_TAG = ("Status", "EmergencyShutdown")
"""The tag (seed 001's emergency procedure) that stops a state machine from starting executions."""


class EmergencyShutdown(Refused):
    """StartExecution of a state machine tagged ``Status=EmergencyShutdown``."""

    aws_code = "ValidationException"


class ExecutionNotRedrivable(BadInput):
    """RedriveExecution of an execution that is running, succeeded, or ended too long ago."""

    aws_code = "ExecutionNotRedrivable"


class ExecutionService:
    """Starts, resumes, stops and describes executions of stored state machines (created and
    updated through ``machines``).

    ``registry`` holds the task handlers (register more before ``start``). ``clock`` drives the
    engine (Wait, Retry, timeouts); leases always use the wall clock.
    """

    def __init__(
        self,
        store: Store,
        registry: Registry | None = None,
        *,
        owner: str | None = None,
        clock: Clock | None = None,
        lease_seconds: float = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
        callback_seconds: float = CALLBACK_SECONDS,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        redactor: Redactor | None = None,
    ) -> None:
        """``redactor`` removes secret values from every history event, cause and input before
        it is stored (default: URL passwords only)."""
        self.store = store
        self.redactor = redactor or secret_redactor()
        self.registry = registry or Registry()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self.writer = JournalWriter(store, self.owner, on_lost=self._drop, redactor=self.redactor)
        self.engine = Engine(
            self.registry,
            clock=clock,
            journal_factory=self.writer.journal,
            region=region,
            account_id=account_id,
        )
        self._running: dict[str, ExecutionHandle] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        """The event loop it runs on, once started (handler threads start executions on it)."""
        self._keeper: asyncio.Task[None] | None = None
        self._deliverer: asyncio.Task[None] | None = None
        self._callback_seconds = callback_seconds
        self.callbacks = CallbackRelay(
            self.engine, store, owner=self.owner, flush=self.writer.flush, running=lambda: self.running
        )
        """SendTaskSuccess/Failure/Heartbeat for executions here or on a peer."""
        self._machines: dict[tuple[str, str], StateMachine] = {}
        self.stop_procedures: dict[str, StopProcedure] = {}
        """State machine ARN -> how its executions are stopped (see :meth:`stop_as`)."""
        self.leases = Leases(
            store,
            self.writer,
            self.owner,
            lease_seconds=lease_seconds,
            renew_seconds=renew_seconds,
            resume=self._resume,
            running=lambda: self.running,
            drop=self._drop,
        )
        """This server's execution leases: renewed, lost, extended to orphans, quarantined."""
        self.machines = StateMachines(store, self.engine, self.registry)
        """The stored state machines and activities these executions run (Create/Update)."""

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Declare stored activities, resume orphaned executions, start renewing leases."""
        self.machines.declare_stored_activities()
        self.claim_orphans(include_own=True)
        loop = asyncio.get_running_loop()
        self.loop = loop
        self._keeper = loop.create_task(self.leases.keep())
        self._deliverer = loop.create_task(self.callbacks.deliver_forever(self._callback_seconds))

    async def close(self) -> None:
        """Stop running executions here (they stay RUNNING) and free their leases for a peer."""
        background = [task for task in (self._keeper, self._deliverer) if task is not None]
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        handles = list(self._running.values())
        for handle in handles:
            handle.abandon()
        await asyncio.gather(*(handle.result() for handle in handles), return_exceptions=True)
        self.writer.flush()
        # A clean stop is not a failed resume: a peer (or this server, restarted) starts them over.
        self.leases.release([h.execution_arn for h in handles])
        self._running.clear()

    async def abandon(self) -> None:
        """Stop everything as if the process died: leases kept, nothing more written (tests)."""
        for task in (self._keeper, self._deliverer):
            if task is not None:
                task.cancel()
        self.writer.flush()
        handles = list(self._running.values())
        self._running.clear()
        for handle in handles:
            handle.abandon()
        await asyncio.gather(*(handle.result() for handle in handles), return_exceptions=True)
        self.writer.discard()

    @property
    def running(self) -> frozenset[str]:
        """ARNs of the executions this process runs now."""
        return frozenset(self._running)

    def claim_orphans(self, *, include_own: bool = False) -> list[str]:
        """Take and resume RUNNING executions whose lease is free or expired; their ARNs
        (``fleetops.control.leases``)."""
        return self.leases.claim_orphans(include_own=include_own)

    def _resume(self, record: ExecutionRecord) -> None:
        journal = self.writer.load(record.arn)
        machine = self._parsed(record.definition, "STANDARD")
        if journal.events():
            handle = self.engine.resume_execution(machine, journal)
        else:  # the process died before the first event was written: start it again
            handle = self.engine.start_execution(
                machine,
                json.loads(record.input),
                name=record.name,
                state_machine_name=_tail(record.state_machine_arn),
            )
        log.info("resumed %s from %d events", record.arn, len(journal.events()))
        self._track(handle)

    def _parsed(self, definition: str, machine_type: str) -> StateMachine:
        # Parsing costs more than running a short machine; definitions repeat, so keep them.
        key = (definition, machine_type)
        machine = self._machines.get(key)
        if machine is None:
            if len(self._machines) >= PARSED_CACHE_SIZE:
                self._machines.clear()
            machine = self._machines[key] = parse_definition(definition, machine_type=machine_type)
        return machine

    def _track(self, handle: ExecutionHandle) -> None:
        arn = handle.execution_arn
        self._running[arn] = handle
        done = asyncio.ensure_future(handle.result())
        done.add_done_callback(lambda _f: self._forget(arn, handle))

    def _forget(self, arn: str, handle: ExecutionHandle) -> None:
        self.leases.forget(arn)
        if self._running.get(arn) is handle:
            del self._running[arn]
            self.engine.forget(arn)  # its history is in the store; memory need not keep it

    def _drop(self, arn: str) -> None:
        handle = self._running.pop(arn, None)
        if handle is not None:
            handle.abandon()

    # -- executions ------------------------------------------------------------------------

    def start_execution(
        self,
        state_machine_arn: str,
        input: Any = None,
        *,
        name: str | None = None,
        input_text: str | None = None,
        started_by: str | None = None,
    ) -> ExecutionRecord:
        """StartExecution: the execution runs in this process, leased to it. ``started_by`` is
        the authenticated caller (the runbooks credit their work to it, not to their input).

        Give ``input`` as a value or ``input_text`` as JSON text (InvalidExecutionInput if bad).
        Call it on the service's event loop, or from another thread once the service started:
        there its checks and the insert run in the calling thread and only the launch hops onto
        the loop (waited for), so many starts do not hold up every running execution's next
        step for their store round trips. Raises StateMachineDoesNotExist, InvalidName,
        ExecutionAlreadyExists (same name, different input), UnknownResource (a Task resource
        with no handler registered).
        """
        target = resolve(self.store, check_arn(state_machine_arn, "stateMachine"))
        machine_record = target.machine
        if self.store.tags.list(machine_record.arn).get(SHUTDOWN_TAG[0]) == SHUTDOWN_TAG[1]:
            raise EmergencyShutdown(
                f"state machine {machine_record.name!r} is tagged {SHUTDOWN_TAG[0]}={SHUTDOWN_TAG[1]}: "
                "it starts no execution until the tag is removed "
                "(aws stepfunctions untag-resource --tag-keys Status)"
            )
        name = check_name(name, "execution") if name is not None else str(uuid.uuid4())
        value = parse_json(input_text, InvalidExecutionInput, "execution input") if input_text else input
        value = {} if value is None else value
        machine = self._parsed(target.definition, machine_record.type)
        self.engine.check_resources(machine)
        now = _now()
        record = ExecutionRecord(
            arn=self.engine.execution_arn(machine_record.name, name),
            state_machine_arn=machine_record.arn,
            name=name,
            status=RUNNING,
            definition=target.definition,
            input=self.redactor.text(to_json(value)),
            output=None,
            error=None,
            cause=None,
            start_date=now,
            stop_date=None,
            lease_owner=self.owner,
            lease_expires=now + timedelta(seconds=self.lease_seconds),
            started_by=started_by,
            state_machine_version_arn=target.version_arn,
            state_machine_alias_arn=target.alias_arn,
        )
        try:
            self.store.executions.create(record)
        except ExecutionAlreadyExists:
            # Idempotent as on AWS: the same name and input while it runs is the same execution.
            current = self.store.executions.get(record.arn)
            if current.status != RUNNING or current.input != record.input:
                raise
            return current

        def launch() -> None:
            self.writer.holds([record.arn], self.lease_seconds)
            handle = self.engine.start_execution(
                machine,
                value,
                name=name,
                state_machine_name=machine_record.name,
                machine_type=machine_record.type,
            )
            self._track(handle)

        self._on_loop(launch)
        return record

    def _on_loop(self, call: Callable[[], None]) -> None:
        """``call()`` on the service's loop: at once when called there (or before the service
        started), else handed to it and waited for (its exception raised here)."""
        loop = self.loop
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if loop is None or here is loop:
            call()
            return

        async def on_loop() -> None:
            call()

        asyncio.run_coroutine_threadsafe(on_loop(), loop).result()

    def redrive_execution(self, arn: str) -> ExecutionRecord:
        """RedriveExecution: a FAILED, TIMED_OUT or ABORTED execution of the last 14 days runs
        again in this process from where it failed, with its ARN, input and definition
        (``fleetops.engine.runtime.redrive``); ExecutionNotRedrivable otherwise."""
        record = self.describe_execution(arn)
        if record.status not in REDRIVABLE:
            raise ExecutionNotRedrivable(
                f"Execution {arn} cannot be redriven: its status is {record.status} "
                f"(only {', '.join(sorted(REDRIVABLE))} executions can be)"
            )
        now = _now()
        if record.stop_date is not None and now - record.stop_date > REDRIVE_WINDOW:
            raise ExecutionNotRedrivable(
                f"Execution {arn} ended more than 14 days ago: it cannot be redriven"
            )
        machine = self._parsed(record.definition, "STANDARD")
        self.engine.check_resources(machine)
        if not self.store.executions.redrive(
            arn, self.owner, was=record.status, now=now, lease_seconds=self.lease_seconds
        ):
            raise ExecutionNotRedrivable(f"Execution {arn} is being redriven already")
        self.writer.holds([arn], self.lease_seconds)
        journal = self.writer.load(arn)
        journal.append(redriven_event(journal.events(), now))
        self._track(self.engine.resume_execution(machine, journal))
        return self.describe_execution(arn)

    async def stop_execution(
        self, arn: str, *, error: str | None = None, cause: str | None = None, stop_wait_seconds: float = 10.0
    ) -> ExecutionRecord:
        """StopExecution: the execution ends ABORTED (a finished one is left as it is).

        An execution running on a peer is stopped by it (asked through the store); Refused if
        it has not ended within ``stop_wait_seconds``.
        """
        record = self.describe_execution(arn)
        if record.status != RUNNING:
            return record
        handle = self._running.get(arn)
        if handle is not None:
            handle.stop(error, cause)
            await handle.result()
            return self.describe_execution(arn)
        self.store.task_callbacks.forward("", arn, STOP, error=error, cause=cause)
        deadline = asyncio.get_running_loop().time() + stop_wait_seconds
        while (record := self.describe_execution(arn)).status == RUNNING:
            if asyncio.get_running_loop().time() > deadline:
                raise Refused(
                    f"execution {arn} runs on another server ({record.lease_owner}), which has not "
                    f"stopped it within {stop_wait_seconds:g} s"
                )
            await asyncio.sleep(0.1)
        return record

    async def stop_as(
        self, arn: str, *, by: str, error: str | None = None, cause: str | None = None
    ) -> ExecutionRecord:
        """StopExecution asked by ``by``: through the stop procedure of the execution's state
        machine when one is registered (a built-in runbook's: stop, fence, roll back, hand the
        lock over, as ``fleetops stop`` does), else :meth:`stop_execution`."""
        record = self.describe_execution(arn)
        procedure = self.stop_procedures.get(record.state_machine_arn)
        if procedure is None or record.status != RUNNING:
            return await self.stop_execution(arn, error=error, cause=cause)
        try:
            await procedure(arn, by, error, cause)
        except BadInput:
            # It ended on its own meanwhile: as StopExecution of an ended execution, no change.
            if self.describe_execution(arn).status == RUNNING:
                raise
        return self.describe_execution(arn)

    def describe_execution(self, arn: str) -> ExecutionRecord:
        """DescribeExecution (ExecutionDoesNotExist): with every event appended so far written."""
        self.writer.flush()
        return self.store.executions.get(check_arn(arn, "execution"))

    def history(
        self, arn: str, *, reverse: bool = False, limit: int | None = None, offset: int = 0
    ) -> list[HistoryEvent]:
        """GetExecutionHistory's events (ExecutionDoesNotExist)."""
        self.describe_execution(arn)
        return self.store.executions.events(arn, reverse=reverse, limit=limit, offset=offset)

    async def wait(self, arn: str, *, poll_seconds: float = 0.5) -> ExecutionResult:
        """The end of the execution, wherever it runs (this process, or a peer: polled)."""
        handle = self._running.get(arn)
        if handle is not None:
            try:
                result = await handle.result()
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                result = None  # dropped here (its lease moved): it ends elsewhere, see below
            self.writer.flush()  # reported only once its end is in the store
            if result is not None and result.status is not ExecutionStatus.RUNNING:
                self._forget(arn, handle)
                return result
        while True:
            record = self.describe_execution(arn)
            if record.status != RUNNING:
                return ExecutionResult(
                    ExecutionStatus(record.status),
                    output=None if record.output is None else json.loads(record.output),
                    error=record.error,
                    cause=record.cause,
                )
            await asyncio.sleep(poll_seconds)


def _now() -> datetime:
    return datetime.now(UTC)


def _tail(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]
