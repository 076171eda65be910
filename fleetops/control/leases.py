"""``Leases``: the execution leases of one server, kept, and extended to orphans.

A server runs an execution only while it holds its lease in the store. Every ``renew_seconds``
it flushes pending events, renews its leases, drops the executions whose lease another server
now holds, and claims orphans: RUNNING executions whose lease is free or expired (a dead peer's,
or, at start-up, its own previous life's), each resumed from its history. An execution resumed
more than ``MAX_RESUMES`` times without running a lease period through is quarantined (ended
FAILED) instead. Runs on the server's event loop, as a task of the execution service.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from fleetops.engine import HistoryEvent
from fleetops.store import Store
from fleetops.store.executions import ExecutionRecord
from fleetops.store.journal import JournalWriter

log = logging.getLogger(__name__)

MAX_RESUMES = 3
"""Resumes an execution gets without running a lease period through; the next claim quarantines it."""
QUARANTINED = "fleetops.Quarantined"
"""The error of an execution quarantined because every resume of it failed or took its server down."""


class Leases:
    """The leases of ``owner``'s executions (see the module docstring).

    ``resume`` runs a claimed execution here, ``running`` says which run here now, ``drop``
    stops one whose lease was lost.
    """

    def __init__(
        self,
        store: Store,
        writer: JournalWriter,
        owner: str,
        *,
        lease_seconds: float,
        renew_seconds: float,
        resume: Callable[[ExecutionRecord], None],
        running: Callable[[], frozenset[str]],
        drop: Callable[[str], None],
    ) -> None:
        self._store = store
        self._writer = writer
        self._owner = owner
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self._resume = resume
        self._running = running
        self._drop = drop
        # Resumed here, not yet run a lease period through (monotonic time of the resume).
        self._resumed_at: dict[str, float] = {}

    def claim_orphans(self, *, include_own: bool = False) -> list[str]:
        """Take and resume RUNNING executions whose lease is free or expired; their ARNs.

        ``include_own`` also takes those leased to this owner: at start-up they are the runs of
        this server's previous life (killed), which nothing runs now.
        """
        claimed = self._store.executions.claim_orphans(
            self._owner, now=_now(), lease_seconds=self.lease_seconds, include_own=include_own
        )
        self._writer.holds([record.arn for record in claimed], self.lease_seconds)
        for record in claimed:
            if record.resumes > MAX_RESUMES:
                self._quarantine(record)
                continue
            try:
                self._resume(record)
            except Exception:
                log.exception("cannot resume %s; its lease is given back", record.arn)
                self._store.executions.release(self._owner, [record.arn])
            else:
                self._resumed_at[record.arn] = time.monotonic()
        return [record.arn for record in claimed]

    def forget(self, arn: str) -> None:
        """The execution has ended here: it no longer counts as resumed."""
        self._resumed_at.pop(arn, None)

    def release(self, arns: Sequence[str]) -> None:
        """Give the leases of ``arns`` back (a clean stop: a peer, or this server restarted,
        starts them over, and it does not count as a failed resume)."""
        self._store.executions.release(self._owner, arns)
        self._store.executions.settled(arns)
        self._resumed_at.clear()

    async def keep(self) -> None:
        """Renew the leases and claim orphans every ``renew_seconds``, until cancelled."""
        while True:
            await asyncio.sleep(self.renew_seconds)
            try:
                self._writer.flush()
                held = self._store.executions.renew(self._owner, now=_now(), lease_seconds=self.lease_seconds)
                self._writer.holds(held, self.lease_seconds)
                self._settle()
                for arn in self._running() - held:
                    log.warning("lost the lease of %s: another server runs it now", arn)
                    self._drop(arn)
                self.claim_orphans()
            except Exception:
                log.exception("cannot renew execution leases; retrying in %s s", self.renew_seconds)

    def _settle(self) -> None:
        """Executions resumed here that ran a lease period through start their count over."""
        since = time.monotonic() - self.lease_seconds
        settled = [arn for arn, at in self._resumed_at.items() if at <= since]
        self._store.executions.settled(settled)
        for arn in settled:
            del self._resumed_at[arn]

    def _quarantine(self, record: ExecutionRecord) -> None:
        """End an execution that failed every resume (or took its server down each time) FAILED,
        as its last history event says, instead of trying it again after every restart."""
        cause = (
            f"resumed {record.resumes - 1} times after a restart or a lease loss without running "
            f"{self.lease_seconds:g} s through (each resume failed or its server stopped): "
            "quarantined, not resumed again; see the server log for what the resumes did"
        )
        last = self._store.executions.events(record.arn, reverse=True, limit=1)
        last_id = last[0].id if last else 0
        failed = HistoryEvent(
            id=last_id + 1,
            previous_event_id=last_id,
            timestamp=_now(),
            type="ExecutionFailed",
            details={"error": QUARANTINED, "cause": cause},
        )
        self._writer.queue(record.arn, failed)
        self._writer.flush()
        log.error("quarantined %s: %s", record.arn, cause)


def _now() -> datetime:
    return datetime.now(UTC)
