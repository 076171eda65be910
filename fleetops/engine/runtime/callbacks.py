"""Task tokens and activities: work that completes when someone outside calls back.

``.waitForTaskToken`` tasks and activity tasks park a :class:`PendingTask` under their token;
``SendTaskSuccess/Failure/Heartbeat`` resolve it. Activity tasks also sit in a queue per
activity until a worker takes them (``GetActivityTask``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fleetops.errors import BadInput


class TaskDoesNotExist(BadInput):
    """No task is waiting for this token (never issued, already completed, or timed out)."""

    aws_code = "TaskDoesNotExist"


@dataclass
class PendingTask:
    """A task waiting for its callback."""

    token: str
    result: asyncio.Future[Any]
    beats: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    worker_name: str | None = None


@dataclass(frozen=True)
class ActivityTask:
    """What ``GetActivityTask`` hands a worker."""

    token: str
    input: Any


@dataclass(frozen=True)
class TaskOutcome:
    """How a callback completed a task: an output, or an error and cause."""

    output: Any = None
    error: str | None = None
    cause: str | None = None
    failed: bool = False


class Callbacks:
    """Every pending token and activity queue of one engine."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingTask] = {}
        self._queues: dict[str, asyncio.Queue[ActivityTask]] = {}

    def open(self, token: str) -> PendingTask:
        """Start waiting for ``token``."""
        task = PendingTask(token=token, result=asyncio.get_running_loop().create_future())
        self._pending[token] = task
        return task

    def close(self, token: str) -> None:
        """Stop waiting for ``token`` (completed, timed out or cancelled)."""
        self._pending.pop(token, None)

    def _get(self, token: str) -> PendingTask:
        task = self._pending.get(token)
        if task is None or task.result.done():
            raise TaskDoesNotExist(f"Task Token does not exist or has already completed: {token!r}")
        return task

    def succeed(self, token: str, output: Any) -> None:
        """SendTaskSuccess."""
        self._get(token).result.set_result(TaskOutcome(output=output))

    def fail(self, token: str, error: str | None, cause: str | None) -> None:
        """SendTaskFailure."""
        self._get(token).result.set_result(TaskOutcome(error=error, cause=cause, failed=True))

    def heartbeat(self, token: str) -> None:
        """SendTaskHeartbeat: restarts the task's heartbeat timer."""
        self._get(token).beats.set()

    def queue(self, activity: str) -> asyncio.Queue[ActivityTask]:
        """The queue of activity tasks waiting for a worker."""
        return self._queues.setdefault(activity, asyncio.Queue())

    async def poll(self, activity: str, worker_name: str | None, timeout: float) -> ActivityTask | None:
        """GetActivityTask: the next task for ``activity``, or None after ``timeout`` seconds."""
        queue = self.queue(activity)
        while True:
            try:
                task = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                return None
            pending = self._pending.get(task.token)
            if pending is None or pending.result.done():
                continue  # the task timed out or its execution stopped while it was queued
            pending.worker_name = worker_name
            pending.started.set()
            return task
