"""The durable ``ExecutionJournal``: history events written to the store, batched per loop turn.

The engine appends events one at a time, synchronously. Writing each in its own transaction
would make a transition cost a commit; instead :class:`JournalWriter` queues the events of
every execution it serves and writes them in one transaction at the next turn of the event
loop (before anything scheduled after them runs). A process killed between the append and the
write loses those last events, so the resumed run redoes that step: the same at-least-once
promise a task handler already has.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from fleetops.engine import HistoryEvent
from fleetops.redaction import Redactor, secret_redactor
from fleetops.store.store import Store

log = logging.getLogger(__name__)

_TERMINAL_TYPES = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}
)

# After a failed write (database unreachable) the batch is kept and tried again this much later.
RETRY_SECONDS = 1.0


def is_map_run(arn: str) -> bool:
    """True for a Map Run's ARN (its events are kept apart from its execution's)."""
    return arn.split(":")[5:6] == ["mapRun"]


class SqlJournal:
    """One execution's journal: events written through the writer.

    Only the events it was opened with (a resumed run replays them) stay in memory: an
    execution's whole history (up to 25,000 events) held by every running execution made the
    garbage collector's full passes stop the server for most of a second.
    """

    def __init__(
        self, writer: JournalWriter, execution_arn: str, events: Sequence[HistoryEvent] = ()
    ) -> None:
        self.execution_arn = execution_arn
        self._writer = writer
        self._loaded = tuple(events)
        self._count = len(self._loaded)

    def append(self, event: HistoryEvent) -> None:
        """Queue ``event`` (redacted) for the store, refusing an id out of sequence."""
        expected = self._count + 1
        if event.id != expected:
            raise ValueError(f"event id {event.id} appended where {expected} was expected")
        self._count += 1
        event = self._writer.redact(event)
        self._writer.queue(self.execution_arn, event)

    def events(self) -> Sequence[HistoryEvent]:
        """The events, oldest first (those appended since it was opened: written, then read)."""
        if self._count == len(self._loaded):
            return self._loaded
        self._writer.flush()
        return tuple(self._writer.store.executions.events(self.execution_arn))


class JournalWriter:
    """Writes the events of every execution ``owner`` runs; makes their journals.

    ``on_lost(arn)`` is called when an execution's lease turns out to be held by someone else:
    its events are dropped and the caller should stop running it. ``redactor`` cleans each
    event's details (default: URL passwords only).
    """

    def __init__(
        self,
        store: Store,
        owner: str,
        on_lost: Callable[[str], None] | None = None,
        *,
        redactor: Redactor | None = None,
    ) -> None:
        self.store = store
        self.redactor = redactor or secret_redactor()
        self.owner = owner
        self._on_lost = on_lost
        self._pending: list[tuple[str, HistoryEvent]] = []
        # ARN -> until when (monotonic) its lease is surely still ours: no need to look it up.
        self._held_until: dict[str, float] = {}
        self._scheduled = False
        self.transactions = 0
        self.events_written = 0
        self.observers: list[Callable[[str, HistoryEvent], None]] = []
        """Called with each event once it is written (the orchestrator's metrics count them);
        on the thread that flushes, so each must be quick and must not raise."""

    def journal(self, arn: str) -> SqlJournal:
        """The engine's ``journal_factory``: a new execution's journal (empty), or a DISTRIBUTED
        Map's Map Run journal (with what is stored of it: a resumed run continues it)."""
        if not is_map_run(arn):
            return SqlJournal(self, arn)
        self.flush()
        return self.load(arn)

    def redact(self, event: HistoryEvent) -> HistoryEvent:
        """``event`` with its details redacted (the same event when nothing was removed)."""
        details = self.redactor.value(dict(event.details))
        return event if details == event.details else replace(event, details=details)

    def load(self, execution_arn: str) -> SqlJournal:
        """The journal of an execution with the events already stored (to resume it)."""
        return SqlJournal(self, execution_arn, self.store.executions.events(execution_arn))

    def queue(self, execution_arn: str, event: HistoryEvent) -> None:
        """Queue one event; it is written at the next loop turn (at once outside a loop)."""
        self._pending.append((execution_arn, event))
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        self._scheduled = False
        try:
            self.flush()
        except Exception:
            log.exception("cannot write execution history; retrying in %s s", RETRY_SECONDS)
            self._scheduled = True
            asyncio.get_running_loop().call_later(RETRY_SECONDS, self._flush_soon)

    def holds(self, arns: Iterable[str], seconds: float) -> None:
        """The caller took or renewed the lease of ``arns`` just now, valid ``seconds`` more.

        For half that time, writes skip checking the lease: no one can take it over earlier.
        """
        until = time.monotonic() + seconds / 2
        for arn in arns:
            self._held_until[arn] = until

    def discard(self) -> None:
        """Drop the queued events unwritten (what a killed process loses)."""
        self._pending = []

    def flush(self) -> None:
        """Write every queued event now (kept queued if the write fails)."""
        if not self._pending:
            return
        batch = self._pending
        self._pending = []
        try:
            now = time.monotonic()
            known = {arn for arn, _ in batch if self._held_until.get(arn, 0.0) > now}
            lost = self.store.executions.append(batch, self.owner, known_held=known)
        except BaseException:
            self._pending = batch + self._pending
            raise
        self.transactions += 1
        self.events_written += len(batch)
        for arn, event in batch:
            if event.type in _TERMINAL_TYPES:
                self._held_until.pop(arn, None)
        for observe in self.observers:
            for arn, event in batch:
                if arn not in lost:
                    observe(arn, event)
        for arn in sorted(lost):
            self._held_until.pop(arn, None)
            log.warning("lost the lease of %s: another server runs it now", arn)
            if self._on_lost is not None:
                self._on_lost(arn)
