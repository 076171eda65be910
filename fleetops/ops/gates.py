"""The one gate every change of a fleet passes: maintenance windows, service blocks, the lock.

A deployment (the deploy runbook, once it holds the environment's lock), a direct rollout
(``fleetops rollout``, ``POST /rollouts``), a scale (``fleetops scale``, ``POST /fleet/scale``)
and the AWS endpoints that change instances all call :func:`check_change` before they act. It
raises ``Refused`` (CLI exit 3, HTTP 423) naming every reason at once: the open maintenance
window (who, why, until when), each blocked service, and the lock's holder when someone other
than the caller holds the environment.
"""

from __future__ import annotations

from collections.abc import Sequence

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.errors import Refused
from fleetops.ops.locks import refusal
from fleetops.ops.maintenance import maintenance_reasons
from fleetops.store import Store


def check_change(
    store: Store,
    environment: str,
    services: Sequence[str],
    *,
    action: str,
    holder: str | None = None,
    check_lock: bool = True,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    """Raise ``Refused`` when ``action`` on ``services`` of ``environment`` may not happen now.

    ``action`` names the change in the message (``deployment to 'dev'``, ``rollout of 'orders'
    in 'dev'``). ``holder``: the lock owner the caller acts for (a deployment's
    execution): its own lock does not refuse it. ``check_lock=False`` leaves the lock out (a
    deployment that will wait for it with ``--lock-wait``).
    """
    now = clock.now()
    reasons = maintenance_reasons(store, environment, services, now)
    lock = store.locks.get(environment) if check_lock else None
    if lock is not None and not lock.expired(now) and lock.owner != holder:
        # Only a deployment can wait for the lock (--lock-wait); the others are told to retry.
        held = refusal(lock, now, waitable=action.startswith("deployment"))
        if not reasons:
            raise Refused(held)
        reasons.append(held)
    if reasons:
        raise Refused(f"{action} refused: " + "; ".join(reasons))
