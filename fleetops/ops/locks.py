"""Deployment locks as the deploy runbook and the CLI use them: acquire (or wait), renew, release.

One lock per environment. A deployment takes it in its initialize step with its execution id as
owner, renews the lease while it runs, and releases it in finalize. A crashed holder stops
renewing: once its lease expires the next deployment takes the lock over. A refused deployment
is told who holds the lock, why, since when and until when.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.errors import BadInput, Refused
from fleetops.ops.clock import iso, span
from fleetops.store import Store
from fleetops.store.locks import Lock

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=15)
"""How long a lock is held without renewal; a deployment renews well within it."""
DEFAULT_POLL = timedelta(seconds=2)
"""How often a waiting deployment (``--lock-wait``) looks again."""


def refusal(lock: Lock, now: datetime, *, waitable: bool = True) -> str:
    """Why a change of ``lock.environment`` is refused, naming the holder (``waitable``: the
    change is a deployment, which can wait for the lock with ``--lock-wait``)."""
    left = lock.expires_at - now
    wait = "Wait with --lock-wait" if waitable else "Try again once it is released"
    return (
        f"environment {lock.environment!r} is locked by {lock.owner!r} (reason: {lock.reason}) since "
        f"{iso(lock.acquired_at)}; its lease expires at {iso(lock.expires_at)} (in {span(left)}). "
        f"{wait}, or if the holder is gone: "
        f"fleetops lock release --force --env {lock.environment}"
    )


def acquire_lock(
    store: Store,
    environment: str,
    *,
    owner: str,
    reason: str,
    lease: timedelta = DEFAULT_LEASE,
    wait: timedelta | None = None,
    poll: timedelta = DEFAULT_POLL,
    clock: Clock = SYSTEM_CLOCK,
    sleep: Callable[[float], None] = time.sleep,
) -> Lock:
    """Take the lock of ``environment`` for ``owner``; the lock held.

    Idempotent for one owner (a retried handler gets its lock back, lease extended). When
    another owner holds it: with ``wait``, look again every ``poll`` until ``wait`` has passed;
    then (or at once without ``wait``) raise ``Refused`` naming the holder.
    """
    if lease <= timedelta(0):
        raise BadInput(f"the lock lease must be positive, got {lease}")
    deadline = None if wait is None else clock.now() + wait
    while True:
        now = clock.now()
        result = store.locks.acquire(environment, owner=owner, reason=reason, lease=lease, now=now)
        if result.acquired:
            if result.previous is not None:
                log.warning(
                    "took over the lock of %s from %s, whose lease expired at %s",
                    environment,
                    result.previous.owner,
                    iso(result.previous.expires_at),
                )
            return result.lock
        if deadline is None or now >= deadline:
            waited = "" if wait is None else f"waited {span(wait)}; "
            raise Refused(waited + refusal(result.lock, now))
        sleep(min(poll, deadline - now).total_seconds())


def renew_lock(
    store: Store,
    environment: str,
    *,
    owner: str,
    lease: timedelta = DEFAULT_LEASE,
    clock: Clock = SYSTEM_CLOCK,
) -> Lock:
    """Extend ``owner``'s lease; ``Refused`` when the lock was released or taken over meanwhile."""
    renewed = store.locks.renew(environment, owner=owner, lease=lease, now=clock.now())
    if renewed is None:
        holder = store.locks.get(environment)
        now_held = f"it is now held by {holder.owner!r}" if holder is not None else "nobody holds it now"
        raise Refused(
            f"{owner!r} no longer holds the lock of environment {environment!r} ({now_held}): "
            "it was force-released or its lease expired and was taken over"
        )
    return renewed


def release_lock(store: Store, environment: str, *, owner: str, by_stop: bool = False) -> bool:
    """Release ``owner``'s lock; False when it no longer held it (nothing to do). A stopped
    ``owner``'s release is refused (``ExecutionStopped``) unless ``by_stop``: see
    ``store.locks.release``."""
    return store.locks.release(environment, owner=owner, by_stop=by_stop)


def force_release_lock(store: Store, environment: str | None = None) -> Lock:
    """Release a lock whoever holds it (an operator clearing a crashed deployment's lock).

    Without ``environment``, the only lock held is released. Raises ``BadInput`` when there is
    no lock to release, or several and no environment was named.
    """
    if environment is None:
        held = store.locks.list()
        if len(held) != 1:
            which = ", ".join(lock.environment for lock in held) or "none"
            raise BadInput(
                f"name the environment whose lock to release with --env (locked environments: {which})"
            )
        environment = held[0].environment
    released = store.locks.force_release(environment)
    if released is None:
        raise BadInput(f"environment {environment!r} is not locked: there is nothing to release")
    log.warning("force-released the lock of %s held by %s", environment, released.owner)
    return released


class LeaseKeeper:
    """Keeps a held lock's lease alive from a background thread while a long step runs.

        with LeaseKeeper(store, "prod", owner=execution_id) as keeper:
            ...wait for the rollout...
            if keeper.lost.is_set(): stop, someone force-released or took over the lock

    It renews every ``every`` (default: a third of the lease), so one or two failed renewals
    (a database hiccup) do not lose the lock. If this process dies, renewals stop and the lease
    runs out: that is how a crashed holder's lock frees itself.
    """

    def __init__(
        self,
        store: Store,
        environment: str,
        *,
        owner: str,
        lease: timedelta = DEFAULT_LEASE,
        every: timedelta | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        interval = every if every is not None else lease / 3
        if not timedelta(0) < interval < lease:
            raise ValueError(f"renew every {interval} must be positive and shorter than the lease {lease}")
        self.store = store
        self.environment = environment
        self.owner = owner
        self.lease = lease
        self.interval = interval
        self.clock = clock
        self.lost = threading.Event()
        """Set when the lock turned out to be someone else's (or nobody's)."""
        self.error: Refused | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{environment}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval.total_seconds()):
            try:
                renew_lock(self.store, self.environment, owner=self.owner, lease=self.lease, clock=self.clock)
            except Refused as err:
                self.error = err
                self.lost.set()
                log.error("%s", err.message)
                return
            except Exception:  # the next renewal may succeed: the lease has room for it
                log.exception("renewing the lock of %s failed; trying again", self.environment)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
