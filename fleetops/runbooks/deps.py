"""What the runbooks' task handlers act on: the store, the fleet file, each environment's runtime.

The server builds one :class:`RunbookDeps` and binds every handler to it
(:func:`fleetops.runbooks.register_handlers`); tests build one over an in-memory runtime and a
fake clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.ops.notify import RetryPolicy
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.runbooks.ports import (
    CrashDrillControl,
    DatastoreControl,
    DrillControl,
    FailoverControl,
    FleetControl,
    ScratchControl,
)
from fleetops.spec.fleet import Fleet
from fleetops.store import Store


@dataclass(frozen=True)
class RunbookDeps:
    """The world the handlers look at before they act."""

    store: Store
    fleet: Callable[[str], Fleet]
    """The fleet file an environment's runtime runs (``fleet(environment)``): a file read again
    for another environment's start does not change a running environment's services or alarms."""
    runtime_for: Callable[[str], FleetControl]
    """The runtime of an environment (``KeyError`` or ``BadInput`` for an unknown one)."""
    clock: Clock = SYSTEM_CLOCK
    """Time for locks, releases and notifications (tests pass the engine's fake clock)."""
    http: httpx.Client | None = None
    """The client webhook notifications and smoke requests go through (None: a new one each time)."""
    notify_retry: RetryPolicy = field(default_factory=RetryPolicy)
    secret_values: Callable[[str], Iterable[str]] = lambda _environment: ()
    """An environment's current and previous secret values, removed from its notifications."""
    secret_value: Callable[[str, str], str | None] = lambda _environment, _name: None
    """A secret's current value in an environment (a PagerDuty routing key, an SMTP password)."""
    datastores: Callable[[str], DatastoreControl] | None = None
    """An environment's datastores, for the restore runbook (None: this world has none)."""
    drills: Callable[[str], DrillControl] | None = None
    """An environment's drill port (None: this world runs no drills)."""
    crash_drills: Callable[[str], CrashDrillControl] | None = None
    """The control-plane-crash drill's port over this control plane and an environment (None:
    this world cannot kill its control plane)."""
    failover_drills: Callable[[str, str], FailoverControl] | None = None
    """The environment-failover drill's port over a primary and its standby (None: this world
    runs no failovers)."""
    scratch_copies: Callable[[str], ScratchControl] | None = None
    """The scratch copy of an environment a datastore-loss drill destroys (None: this world
    makes none)."""
    secrets: SecretsVault | None = None
    """The secrets store (the rotation runbook's values; None: rotation refuses to run)."""
