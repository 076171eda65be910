"""Task resources -> handlers: Python functions registered under names, and activities.

A Task state's ``Resource`` is looked up here when an execution starts. ``fleetops:<name>`` (or
any plain name) is a Python handler; an activity ARN is served to workers that poll
``Engine.get_activity_task``. An AWS resource (a Lambda ARN, an optimized integration such as
``arn:aws:states:::sqs:sendMessage``) runs only if a handler was registered under that exact
string, so definitions written for AWS can run here with local stand-ins.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fleetops.engine.definition.resources import ResourceKind, ResourceRef, parse_resource
from fleetops.errors import BadInput


@dataclass(frozen=True)
class TaskContext:
    """What a handler may want besides its input: where it runs and, for callbacks, the token."""

    execution_arn: str
    state_name: str
    task_token: str | None
    attempt: int


Handler = Callable[..., Any | Awaitable[Any]]


class TaskFailure(Exception):
    """Raised by a handler to fail its task with an exact error name and cause."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


@dataclass(frozen=True)
class RegisteredHandler:
    """A handler and whether it takes the :class:`TaskContext` as second argument."""

    function: Handler
    takes_context: bool

    @property
    def is_async(self) -> bool:
        """True for ``async def`` handlers (awaited on the loop; others run in a thread)."""
        return inspect.iscoroutinefunction(self.function)


class UnknownResource(BadInput):
    """A definition names a resource nothing is registered for."""


class Registry:
    """The mapping from Resource strings to handlers, and the set of known activities."""

    def __init__(self) -> None:
        self._handlers: dict[str, RegisteredHandler] = {}
        self._activities: set[str] = set()

    def register(self, name: str, function: Handler | None = None) -> Any:
        """Register ``function`` under ``name``; usable as a decorator (``@registry.register(n)``).

        The handler is called as ``function(input)`` or ``function(input, context)``; it returns
        the task result (any JSON value), or raises :class:`TaskFailure` (or any exception: the
        error is the exception's class name, the cause its message).
        """

        def add(fn: Handler) -> Handler:
            params = [
                p
                for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            self._handlers[name] = RegisteredHandler(fn, takes_context=len(params) >= 2)
            return fn

        return add if function is None else add(function)

    def register_activity(self, name_or_arn: str) -> None:
        """Declare an activity (its name, or its ARN) so Task states may name it."""
        self._activities.add(name_or_arn.rsplit(":", 1)[-1])

    def has_activity(self, name: str) -> bool:
        """True when an activity of that name was declared."""
        return name in self._activities

    def handler_for(self, ref: ResourceRef) -> RegisteredHandler | None:
        """The handler a resource runs (None for activities and unregistered resources)."""
        for key in (ref.raw, ref.raw.removesuffix(ref.pattern.value), ref.name):
            if key in self._handlers:
                return self._handlers[key]
        return None

    def check(self, resource: str, pointer: str) -> str | None:
        """Why ``resource`` cannot run here (None when it can)."""
        ref = parse_resource(resource)
        if ref is None:
            return f"{pointer}/Resource: {resource!r} is not a resource Step Functions recognizes"
        if ref.kind is ResourceKind.ACTIVITY:
            if self.has_activity(ref.name):
                return None
            return (
                f"{pointer}/Resource: activity {ref.name!r} is not declared; "
                "call registry.register_activity() before starting the execution"
            )
        if self.handler_for(ref) is not None:
            return None
        if ref.kind is ResourceKind.HANDLER:
            known = ", ".join(sorted(self._handlers)) or "none"
            return f"{pointer}/Resource: no handler is registered for {ref.name!r} (registered: {known})"
        return (
            f"{pointer}/Resource: {resource!r} is an AWS resource ({ref.resource_type}); "
            "fleetops does not call AWS "
            "from state machines. Register a handler under this exact string to run it here, or use an "
            "activity and `fleetops worker` on AWS"
        )
