"""Maintenance windows and service blocks, and ``check_deployable``, the gate the deploy runbook
calls before it touches anything.

A maintenance window covers one environment or, without one, every environment (the seed's
"put the system in maintenance mode" stops all deployments; an environment's own window is the
"Sunday 2:00-4:00 prod" kind). It is time-boxed: ``--for 2h`` at most ``MAX_WINDOW``, and once
its end has passed it is off without anyone turning it off. A block stops the deployments of
named services (in one environment, or in all) until they are unblocked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.errors import BadInput, Refused
from fleetops.ops.clock import iso
from fleetops.spec.durations import format_duration
from fleetops.spec.resources import NAME_PATTERN
from fleetops.store import Store
from fleetops.store.maintenance import ALL, Block, MaintenanceWindow, scope_of

DEFAULT_WINDOW = timedelta(hours=1)
MAX_WINDOW = timedelta(days=7)
"""A window longer than this is refused: maintenance must end by itself, and soon."""
_NAME = re.compile(NAME_PATTERN)


def start_maintenance(
    store: Store,
    *,
    environment: str | None,
    duration: timedelta = DEFAULT_WINDOW,
    reason: str,
    by: str,
    clock: Clock = SYSTEM_CLOCK,
) -> MaintenanceWindow:
    """Open a maintenance window now, for ``duration`` (replacing one already open there)."""
    _check_names("environment", [] if environment is None else [environment])
    if not timedelta(0) < duration <= MAX_WINDOW:
        raise BadInput(
            f"--for must be between 1s and 7d (maintenance ends by itself), got {format_duration(duration)}"
        )
    if not reason.strip():
        raise BadInput("--reason must say why deployments are stopped")
    now = clock.now()
    return store.maintenance.start(
        scope=scope_of(environment), reason=reason, started_by=by, starts_at=now, ends_at=now + duration
    )


def end_maintenance(
    store: Store, *, environment: str | None, by: str, clock: Clock = SYSTEM_CLOCK
) -> MaintenanceWindow | None:
    """End the window open for ``environment`` (None: the all-environments one); None if none was."""
    return store.maintenance.end(scope=scope_of(environment), ended_by=by, now=clock.now())


def maintenance_status(
    store: Store, *, environment: str | None = None, now: datetime
) -> list[MaintenanceWindow]:
    """Windows open at ``now``: all of them, or those that stop deployments to ``environment``."""
    scopes = None if environment is None else [environment, ALL]
    return store.maintenance.open_windows(scopes, now=now)


def block_services(
    store: Store,
    services: Sequence[str],
    *,
    environment: str | None,
    reason: str,
    by: str,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Block]:
    """Block deployments of ``services`` in ``environment`` (None: everywhere); the blocks now in place."""
    _check_names("service", services)
    _check_names("environment", [] if environment is None else [environment])
    if not services:
        raise BadInput("name at least one service to block")
    return store.maintenance.block(
        scope=scope_of(environment), services=services, reason=reason, blocked_by=by, now=clock.now()
    )


def unblock_services(store: Store, services: Sequence[str], *, environment: str | None) -> list[Block]:
    """Remove the blocks of ``services`` in ``environment`` (None: the everywhere blocks); those removed."""
    _check_names("service", services)
    if not services:
        raise BadInput("name at least one service to unblock")
    return store.maintenance.unblock(scope=scope_of(environment), services=services)


def check_deployable(
    store: Store, environment: str, services: Sequence[str], *, clock: Clock = SYSTEM_CLOCK
) -> None:
    """Raise ``Refused`` when a deployment of ``services`` to ``environment`` may not start now
    for maintenance or a block (the lock aside: ``fleetops.ops.gates.check_change`` is the
    whole gate), naming every reason."""
    reasons = maintenance_reasons(store, environment, services, clock.now())
    if reasons:
        raise Refused(f"deployment to {environment!r} refused: " + "; ".join(reasons))


def maintenance_reasons(store: Store, environment: str, services: Sequence[str], now: datetime) -> list[str]:
    """Why a change of ``services`` in ``environment`` may not happen at ``now``, one sentence
    per reason: a maintenance window of the environment or of every environment (who, why,
    until when), each of the services blocked there or everywhere (who, why, since when)."""
    reasons: list[str] = []
    for window in store.maintenance.open_windows([environment, ALL], now=now):
        where = "every environment" if window.scope == ALL else f"environment {environment!r}"
        reasons.append(
            f"maintenance of {where} by {window.started_by} until {iso(window.ends_at)} "
            f"(reason: {window.reason}; end it early with: fleetops maintenance off"
            + ("" if window.scope == ALL else f" --env {environment}")
            + ")"
        )
    for block in store.maintenance.blocks([environment, ALL], list(services)):
        where = "everywhere" if block.scope == ALL else f"in {environment!r}"
        reasons.append(
            f"service {block.service!r} is blocked {where} by {block.blocked_by} since "
            f"{iso(block.blocked_at)} (reason: {block.reason})"
        )
    return reasons


def _check_names(kind: str, names: Sequence[str]) -> None:
    bad = [name for name in names if not _NAME.match(name)]
    if bad:
        raise BadInput(
            f"{kind} name {bad[0]!r} is not valid: expected lower-case letters, digits and -, "
            "starting with a letter (like orders-db)",
            [f"{kind} name {name!r} is not valid" for name in bad] if len(bad) > 1 else None,
        )
