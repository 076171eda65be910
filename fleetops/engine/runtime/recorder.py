"""Writes events to the journal and, on resume, hands back the ones already recorded.

Resume is replay: a new runner walks the definition again from the start, and every event it
would write is first looked up by (scope, type, ordinal) among the recorded events. A hit means
that step already happened: the recorded event (its id, timestamp, output) is returned and
nothing is appended; the runner uses it to skip the work (a state that exited, a task that
succeeded). The first miss is where the old run stopped; from there events are appended as new.
A redriven execution replays all but its failure (``redrive.py``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from fleetops.clock import Clock
from fleetops.engine.errors import StatesErrorName
from fleetops.engine.history import ExecutionJournal, HistoryEvent
from fleetops.engine.runtime.redrive import replayable

HISTORY_LIMIT = 25_000
"""Events in one execution's history, its terminal one included ("Maximum execution history
size: 25,000 events ... If the execution history reaches this quota, the execution will fail")."""

_TERMINAL = frozenset({"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"})


def history_limit_cause(limit: int) -> str:
    """The cause AWS writes when an execution's history reaches ``limit`` events."""
    return f"The execution reached the maximum number of history events ({limit})."


class Recorder:
    """The single writer of an execution's journal.

    With a ``limit``, the event that would take the history to ``limit`` events is written as
    AWS writes it instead: ``ExecutionFailed`` (States.Runtime, "The execution reached the
    maximum number of history events (25000)."), so event ``limit`` is the failure and the one
    before it the last the machine produced. From then on :attr:`full` holds that event,
    ``on_full`` has been called (the runner stops the run) and nothing more is written.
    """

    def __init__(self, journal: ExecutionJournal, clock: Clock, *, limit: int | None = None) -> None:
        self._journal = journal
        self._clock = clock
        self.limit = limit
        self.full: HistoryEvent | None = None
        self.on_full: Callable[[], None] | None = None
        recorded = list(journal.events())
        self._next_id = len(recorded) + 1
        self._index: dict[tuple[str, str, int], HistoryEvent] = {}
        self._by_scope: dict[str, list[HistoryEvent]] = defaultdict(list)
        seen: Counter[tuple[str, str]] = Counter()
        # A redriven execution does not replay its failure (``redrive.py``).
        for event in replayable(recorded):
            ordinal = seen[(event.scope, event.type)]
            seen[(event.scope, event.type)] += 1
            self._index[(event.scope, event.type, ordinal)] = event
            self._by_scope[event.scope].append(event)
        self._emitted: Counter[tuple[str, str]] = Counter()

    @property
    def journal(self) -> ExecutionJournal:
        """The journal written to."""
        return self._journal

    def emit(
        self,
        event_type: str,
        details: Mapping[str, Any],
        *,
        scope: str,
        previous: int,
        meta: Mapping[str, Any] | None = None,
    ) -> HistoryEvent:
        """Append an event, or return the one recorded for the same step before a restart."""
        if self._index:  # replaying: count this step's events to find the recorded one
            ordinal = self._emitted[(scope, event_type)]
            self._emitted[(scope, event_type)] += 1
            recorded = self._index.get((scope, event_type, ordinal))
            if recorded is not None:
                return recorded
        if self.full is not None:
            # The history is closed: what the run does until its cancellation lands is not kept.
            return HistoryEvent(self._next_id, previous, self._clock.now(), event_type, dict(details), scope)
        if self.limit is not None and self._next_id >= self.limit and event_type not in _TERMINAL:
            failure = {"error": str(StatesErrorName.RUNTIME), "cause": history_limit_cause(self.limit)}
            self.full = self._append(
                "ExecutionFailed", failure, scope="", previous=self._next_id - 1, meta=None
            )
            if self.on_full is not None:
                self.on_full()
            return self.full
        return self._append(event_type, details, scope=scope, previous=previous, meta=meta)

    def _append(
        self,
        event_type: str,
        details: Mapping[str, Any],
        *,
        scope: str,
        previous: int,
        meta: Mapping[str, Any] | None,
    ) -> HistoryEvent:
        event = HistoryEvent(
            id=self._next_id,
            previous_event_id=previous,
            timestamp=self._clock.now(),
            type=event_type,
            details=dict(details),
            scope=scope,
            meta=dict(meta or {}),
        )
        self._journal.append(event)
        self._next_id += 1
        return event

    @property
    def last_id(self) -> int:
        """The id of the newest event (0 when there is none)."""
        return self._next_id - 1

    def has_scope(self, scope: str) -> bool:
        """True when events of ``scope`` were recorded before this run."""
        return bool(self._by_scope.get(scope))

    def ended(self) -> HistoryEvent | None:
        """The recorded terminal event (None while the execution runs, or runs again after a redrive)."""
        return self.recorded("", *_TERMINAL)

    def recorded(self, scope: str, *types: str) -> HistoryEvent | None:
        """The last recorded event of one of ``types`` in ``scope`` (before this run), if any."""
        for event in reversed(self._by_scope.get(scope, ())):
            if event.type in types:
                return event
        return None
