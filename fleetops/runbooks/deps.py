"""What the runbooks' task handlers act on: the store, the fleet file, each environment's runtime.

The server builds one :class:`RunbookDeps` and binds every handler to it
(:func:`fleetops.runbooks.register_handlers`); tests build one over an in-memory runtime and a
fake clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from fleetops.control.rollouts import RolloutRuntime
from fleetops.ops.clock import Now, utc_now
from fleetops.ops.notify import RetryPolicy
from fleetops.spec.models import Fleet
from fleetops.store import Store


@dataclass(frozen=True)
class RunbookDeps:
    """The world the handlers look at before they act."""

    store: Store
    fleet: Callable[[], Fleet]
    """The fleet file as it is now (the server reloads it when it changes)."""
    runtime_for: Callable[[str], RolloutRuntime]
    """The runtime of an environment (``KeyError`` or ``BadInput`` for an unknown one)."""
    clock: Now = utc_now
    """Time for locks, releases and notifications (tests pass the engine's fake clock)."""
    http: httpx.Client | None = None
    """The client webhook notifications go through (None: a new one per delivery)."""
    notify_retry: RetryPolicy = field(default_factory=RetryPolicy)
