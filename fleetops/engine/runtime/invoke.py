"""Calling a Task's resource: a Python handler, a handler plus task token, or an activity.

Writes TaskScheduled/TaskStarted/TaskSubmitted/TaskSucceeded/TaskFailed/TaskTimedOut (or the
Activity* events) in the attempt's scope. On resume, an attempt whose result is recorded is not
run again; one that was scheduled but not finished is called again (handlers are idempotent);
a callback task whose handler already ran just waits for its token again.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fleetops.clock import Clock
from fleetops.engine.definition.resources import Pattern, ResourceKind, ResourceRef
from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.history import HistoryEvent
from fleetops.engine.registry import RegisteredHandler, TaskContext, TaskFailure
from fleetops.engine.runtime.callbacks import ActivityTask, PendingTask, TaskOutcome
from fleetops.engine.runtime.failures import to_json
from fleetops.engine.runtime.frame import StateRun
from fleetops.engine.runtime.timers import Expired, race


def task_token(run: StateRun) -> str:
    """The attempt's task token: the recorded one after a restart, else a new random one."""
    recorded = run.runner.recorder.recorded(run.attempt_scope, "TaskScheduled", "ActivityScheduled")
    if recorded is not None and "token" in recorded.meta:
        return str(recorded.meta["token"])
    key = f"token:{run.attempt}"
    if key not in run.extra:
        run.extra[key] = secrets.token_urlsafe(24)
    return str(run.extra[key])


async def invoke(
    run: StateRun, ref: ResourceRef, payload: Any, *, timeout: float | None, heartbeat: float | None
) -> Any:
    """Run one attempt of the task; return its result or raise StatesError.

    The steps: a result recorded before a restart is returned as it was; else the task is
    scheduled and called (an activity, or a handler with or without a task token), raced
    against its TimeoutSeconds and HeartbeatSeconds; its outcome is recorded and returned.
    """
    scope = run.attempt_scope
    prefix = "Activity" if ref.kind is ResourceKind.ACTIVITY else "Task"
    done = run.runner.recorder.recorded(scope, f"{prefix}Succeeded", f"{prefix}Failed", f"{prefix}TimedOut")
    if done is not None:
        return _recorded_result(run, done)
    token = task_token(run)
    base = {"resource": ref.short_name, "resourceType": ref.resource_type}
    callbacks = run.runner.callbacks
    pending = callbacks.open(token)
    clock = run.runner.clock
    # TimeoutSeconds counts from scheduling, across the handler call and the wait for a callback.
    due = clock.now() + timedelta(seconds=timeout) if timeout is not None else None
    call = _Call(run, ref, payload, token, base, _limits(timeout, heartbeat), pending, due, heartbeat)
    try:
        outcome = await (_run_activity(call) if ref.kind is ResourceKind.ACTIVITY else _run_handler(call))
    except Expired as expired:
        error = StatesErrorName.TIMEOUT if expired.kind == "timeout" else StatesErrorName.HEARTBEAT_TIMEOUT
        run.emit(f"{prefix}TimedOut", {**base, "error": str(error)}, scope=scope)
        raise StatesError(error, None) from None
    finally:
        callbacks.close(token)
    return _record_outcome(run, outcome, base, prefix)


def _recorded_result(run: StateRun, done: HistoryEvent) -> Any:
    """The result of an attempt that ended before a restart, as it ended."""
    run.branch.last_event_id = done.id
    if done.type.endswith("Succeeded"):
        return json.loads(done.details["output"])
    raise StatesError(done.details.get("error"), done.details.get("cause"))


def _limits(timeout: float | None, heartbeat: float | None) -> dict[str, Any]:
    """The TimeoutSeconds and HeartbeatSeconds a scheduled event reports."""
    limits: dict[str, Any] = {}
    if timeout is not None:
        limits["timeoutInSeconds"] = int(timeout)
    if heartbeat is not None:
        limits["heartbeatInSeconds"] = int(heartbeat)
    return limits


@dataclass(frozen=True)
class _Call:
    """One attempt's call, as its steps need it."""

    run: StateRun
    ref: ResourceRef
    payload: Any
    token: str
    base: dict[str, Any]
    """``resource`` and ``resourceType``, in every Task event."""
    limits: dict[str, Any]
    pending: PendingTask
    due: datetime | None
    heartbeat: float | None


async def _run_activity(call: _Call) -> TaskOutcome:
    """Schedule the activity task for a worker and wait for its outcome."""
    run = call.run
    run.emit(
        "ActivityScheduled",
        {
            "resource": call.ref.raw,
            "input": to_json(call.payload),
            "inputDetails": {"truncated": False},
            **call.limits,
        },
        scope=run.attempt_scope,
        meta={"token": call.token},
    )
    run.runner.callbacks.queue(call.ref.name).put_nowait(ActivityTask(token=call.token, input=call.payload))
    return await _activity(run, call.pending, call.due, call.heartbeat)


async def _run_handler(call: _Call) -> TaskOutcome:
    """Call the resource's handler; with ``.waitForTaskToken``, then wait for the token's callback."""
    run, scope, clock = call.run, call.run.attempt_scope, call.run.runner.clock
    run.emit(
        "TaskScheduled",
        {**call.base, "region": run.runner.info.region, "parameters": to_json(call.payload), **call.limits},
        scope=scope,
        meta={"token": call.token},
    )
    run.emit("TaskStarted", call.base, scope=scope)
    handler = run.runner.registry.handler_for(call.ref)
    if handler is None:
        raise StatesError(StatesErrorName.RUNTIME, f"No handler is registered for resource {call.ref.raw!r}")
    context = TaskContext(run.runner.info.execution_arn, run.state.name, call.token, run.attempt)
    if call.ref.pattern is not Pattern.WAIT_FOR_TASK_TOKEN:
        called: TaskOutcome = await race(
            _call(handler, call.payload, context, clock), clock, timeout=left(clock, call.due)
        )
        return called
    if run.runner.recorder.recorded(scope, "TaskSubmitted") is None:
        submitted: TaskOutcome = await race(
            _call(handler, call.payload, context, clock), clock, timeout=left(clock, call.due)
        )
        if submitted.failed:
            return submitted
        run.emit(
            "TaskSubmitted",
            {**call.base, "output": to_json(submitted.output), "outputDetails": {"truncated": False}},
            scope=scope,
        )
    result: TaskOutcome = await race(
        call.pending.result,
        clock,
        timeout=left(clock, call.due),
        heartbeat=call.heartbeat,
        beats=call.pending.beats,
    )
    return result


def _record_outcome(run: StateRun, outcome: TaskOutcome, base: dict[str, Any], prefix: str) -> Any:
    """Write the attempt's Succeeded or Failed event; its output, or raise its error."""
    if outcome.failed:
        details = {
            **base,
            **{k: v for k, v in (("error", outcome.error), ("cause", outcome.cause)) if v is not None},
        }
        run.emit(f"{prefix}Failed", details, scope=run.attempt_scope)
        raise StatesError(outcome.error, outcome.cause)
    run.emit(
        f"{prefix}Succeeded",
        {**base, "output": to_json(outcome.output), "outputDetails": {"truncated": False}},
        scope=run.attempt_scope,
    )
    return outcome.output


async def _activity(
    run: StateRun, pending: PendingTask, due: datetime | None, heartbeat: float | None
) -> TaskOutcome:
    clock = run.runner.clock
    started = run.runner.recorder.recorded(run.attempt_scope, "ActivityStarted")
    if started is None:
        await race(pending.started.wait(), clock, timeout=left(clock, due))
        run.emit("ActivityStarted", {"workerName": pending.worker_name or ""}, scope=run.attempt_scope)
    # HeartbeatSeconds counts from the moment a worker took the task.
    result: TaskOutcome = await race(
        pending.result, clock, timeout=left(clock, due), heartbeat=heartbeat, beats=pending.beats
    )
    return result


def left(clock: Clock, due: datetime | None) -> float | None:
    """Seconds until ``due`` (never negative); None when there is no deadline."""
    return None if due is None else max((due - clock.now()).total_seconds(), 0.0)


async def _call(handler: RegisteredHandler, payload: Any, context: TaskContext, clock: Clock) -> TaskOutcome:
    """Call a handler; its return value is the result, its exception the failure."""
    args = (payload, context) if handler.takes_context else (payload,)
    try:
        with clock.busy():
            if handler.is_async:
                result = await handler.function(*args)
            else:
                result = await asyncio.to_thread(handler.function, *args)
    except TaskFailure as err:
        return TaskOutcome(error=err.error, cause=err.cause, failed=True)
    except StatesError as err:
        return TaskOutcome(error=err.error, cause=err.cause, failed=True)
    except Exception as err:  # a handler's own failure becomes the task's error, as Lambda reports it
        return TaskOutcome(error=type(err).__name__, cause=str(err), failed=True)
    try:
        return TaskOutcome(output=json.loads(to_json(result)))
    except (TypeError, ValueError) as err:
        return TaskOutcome(
            error=StatesErrorName.RUNTIME, cause=f"The task result is not JSON: {err}", failed=True
        )
