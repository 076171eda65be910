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
from datetime import datetime, timedelta
from typing import Any

from fleetops.engine.clock import Clock
from fleetops.engine.definition.resources import Pattern, ResourceKind, ResourceRef
from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.registry import RegisteredHandler, TaskContext, TaskFailure
from fleetops.engine.runtime.callbacks import ActivityTask, TaskOutcome
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
    """Run one attempt of the task; return its result or raise StatesError."""
    scope = run.attempt_scope
    prefix = "Activity" if ref.kind is ResourceKind.ACTIVITY else "Task"
    recorder = run.runner.recorder
    done = recorder.recorded(scope, f"{prefix}Succeeded", f"{prefix}Failed", f"{prefix}TimedOut")
    if done is not None:
        run.branch.last_event_id = done.id
        if done.type.endswith("Succeeded"):
            return json.loads(done.details["output"])
        raise StatesError(done.details.get("error"), done.details.get("cause"))
    token = task_token(run)
    limits: dict[str, Any] = {}
    if timeout is not None:
        limits["timeoutInSeconds"] = int(timeout)
    if heartbeat is not None:
        limits["heartbeatInSeconds"] = int(heartbeat)
    base = {"resource": ref.short_name, "resourceType": ref.resource_type}
    callbacks = run.runner.callbacks
    pending = callbacks.open(token)
    outcome: TaskOutcome | None = None
    clock = run.runner.clock
    # TimeoutSeconds counts from scheduling, across the handler call and the wait for a callback.
    due = clock.now() + timedelta(seconds=timeout) if timeout is not None else None
    try:
        if ref.kind is ResourceKind.ACTIVITY:
            run.emit(
                "ActivityScheduled",
                {
                    "resource": ref.raw,
                    "input": to_json(payload),
                    "inputDetails": {"truncated": False},
                    **limits,
                },
                scope=scope,
                meta={"token": token},
            )
            callbacks.queue(ref.name).put_nowait(ActivityTask(token=token, input=payload))
            outcome = await _activity(run, pending, due, heartbeat)
        else:
            run.emit(
                "TaskScheduled",
                {**base, "region": run.runner.info.region, "parameters": to_json(payload), **limits},
                scope=scope,
                meta={"token": token},
            )
            run.emit("TaskStarted", base, scope=scope)
            handler = run.runner.registry.handler_for(ref)
            if handler is None:
                raise StatesError(
                    StatesErrorName.RUNTIME, f"No handler is registered for resource {ref.raw!r}"
                )
            context = TaskContext(run.runner.info.execution_arn, run.state.name, token, run.attempt)
            if ref.pattern is Pattern.WAIT_FOR_TASK_TOKEN:
                if recorder.recorded(scope, "TaskSubmitted") is None:
                    submitted = await race(
                        _call(handler, payload, context, clock), clock, timeout=left(clock, due)
                    )
                    if submitted.failed:
                        outcome = submitted
                    else:
                        run.emit(
                            "TaskSubmitted",
                            {
                                **base,
                                "output": to_json(submitted.output),
                                "outputDetails": {"truncated": False},
                            },
                            scope=scope,
                        )
                if outcome is None:
                    outcome = await race(
                        pending.result,
                        clock,
                        timeout=left(clock, due),
                        heartbeat=heartbeat,
                        beats=pending.beats,
                    )
            else:
                outcome = await race(_call(handler, payload, context, clock), clock, timeout=left(clock, due))
    except Expired as expired:
        error = StatesErrorName.TIMEOUT if expired.kind == "timeout" else StatesErrorName.HEARTBEAT_TIMEOUT
        run.emit(f"{prefix}TimedOut", {**base, "error": str(error)}, scope=scope)
        raise StatesError(error, None) from None
    finally:
        callbacks.close(token)
    assert outcome is not None
    if outcome.failed:
        details = {
            **base,
            **{k: v for k, v in (("error", outcome.error), ("cause", outcome.cause)) if v is not None},
        }
        run.emit(f"{prefix}Failed", details, scope=scope)
        raise StatesError(outcome.error, outcome.cause)
    run.emit(
        f"{prefix}Succeeded",
        {**base, "output": to_json(outcome.output), "outputDetails": {"truncated": False}},
        scope=scope,
    )
    return outcome.output


async def _activity(
    run: StateRun, pending: Any, due: datetime | None, heartbeat: float | None
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
