"""Writes events to the journal and, on resume, hands back the ones already recorded.

Resume is replay: a new runner walks the definition again from the start, and every event it
would write is first looked up by (scope, type, ordinal) among the recorded events. A hit means
that step already happened: the recorded event (its id, timestamp, output) is returned and
nothing is appended; the runner uses it to skip the work (a state that exited, a task that
succeeded). The first miss is where the old run stopped; from there events are appended as new.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from fleetops.engine.clock import Clock
from fleetops.engine.history import ExecutionJournal, HistoryEvent


class Recorder:
    """The single writer of an execution's journal."""

    def __init__(self, journal: ExecutionJournal, clock: Clock) -> None:
        self._journal = journal
        self._clock = clock
        recorded = list(journal.events())
        self._next_id = len(recorded) + 1
        self._index: dict[tuple[str, str, int], HistoryEvent] = {}
        self._by_scope: dict[str, list[HistoryEvent]] = defaultdict(list)
        seen: Counter[tuple[str, str]] = Counter()
        for event in recorded:
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
        ordinal = self._emitted[(scope, event_type)]
        self._emitted[(scope, event_type)] += 1
        recorded = self._index.get((scope, event_type, ordinal))
        if recorded is not None:
            return recorded
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

    def recorded(self, scope: str, *types: str) -> HistoryEvent | None:
        """The last recorded event of one of ``types`` in ``scope`` (before this run), if any."""
        for event in reversed(self._by_scope.get(scope, ())):
            if event.type in types:
                return event
        return None
