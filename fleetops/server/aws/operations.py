"""The registry of AWS operations the control plane serves, and what a handler is given.

A handler is a plain function ``(call, params) -> output``: ``params`` is the operation's input
as botocore's model shapes it (already checked by the protocol's parser), the output a plain
dict the protocol's serializer writes. ``@operation("autoscaling", "SetDesiredCapacity",
Role.OPERATOR, target="AutoScalingGroupName")`` registers one: a viewer may call the
operations registered with ``Role.VIEWER`` (reads), changes need ``Role.OPERATOR`` and are
written to the audit log as ``<service>.<Operation>`` with the ``target`` member's value.
Handlers run in a worker thread: they may block on the fleet runtime and the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.control.environments import Environments
from fleetops.ops.gates import check_change
from fleetops.server.auth import Principal
from fleetops.server.aws import resources
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.resources import Group
from fleetops.server.roles import Role
from fleetops.store import Store

Params = dict[str, Any]
Output = dict[str, Any]
T = TypeVar("T")
ON_LOOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Call:
    """One call: who makes it, where, and what it can act on."""

    environments: Environments
    store: Store
    principal: Principal
    region: str
    request_id: str
    state: Any
    """The app's ``state`` (shared registries of the AWS layer live there)."""
    loop: asyncio.AbstractEventLoop | None = None
    """The server's event loop, where what starts an execution must run (``on_loop``)."""
    clock: Clock = SYSTEM_CLOCK
    """The app's clock (``fleetops.server.app_clock``): what "now" is for this call."""

    def on_loop(self, function: Callable[[], T]) -> T:
        """``function()`` run on the server's event loop (the handler runs in a worker thread)."""
        if self.loop is None:
            return function()

        async def run() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=ON_LOOP_TIMEOUT_S)

    def groups(self) -> Iterator[Group]:
        """Every service of every running environment under its AWS names."""
        return resources.groups(self.environments, self.region)

    def group(self, name: str, not_found: AwsError | None = None) -> Group:
        """The Auto Scaling group ``name``."""
        return resources.find(self.environments, self.region, name, by="name", not_found=not_found)

    def resource(self, value: str, *, by: str, not_found: AwsError) -> Group:
        """The group whose ``by`` (``target_group_arn``, ``log_group``...) is ``value``."""
        return resources.find(self.environments, self.region, value, by=by, not_found=not_found)

    def gate(self, group: Group, action: str) -> None:
        """Refuse (``Refused``) a change of ``group`` during maintenance, while its service is
        blocked, or while a deployment holds its environment's lock: the one gate every change
        of a fleet passes (``fleetops.ops.gates``)."""
        check_change(self.store, group.environment, [group.service], action=action, clock=self.clock)


Handler = Callable[[Call, Params], Output]


@dataclass(frozen=True)
class Operation:
    """One operation of one service."""

    service: str
    name: str
    role: Role
    run: Handler
    target: str | None = None
    """The input member naming what a change acts on (the audit entry's target)."""
    redact: bool = True
    """Whether the answer passes the secret redaction (not an answer that is a value asked
    for by an admin: GetSecretValue)."""

    @property
    def audited(self) -> bool:
        """Whether calls are written to the audit log (every change)."""
        return self.role is not Role.VIEWER

    @property
    def audit_action(self) -> str:
        """The audit log's name of the call."""
        return f"{self.service}.{self.name}"


OPERATIONS: dict[tuple[str, str], Operation] = {}


def operation(
    service: str, name: str, role: Role = Role.VIEWER, *, target: str | None = None, redact: bool = True
) -> Callable[[Handler], Handler]:
    """Register the decorated function as ``service``'s operation ``name``."""

    def add(function: Handler) -> Handler:
        OPERATIONS[(service, name)] = Operation(service, name, role, function, target, redact)
        return function

    return add
