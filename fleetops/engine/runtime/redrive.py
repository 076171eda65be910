"""RedriveExecution: which recorded events a redriven execution replays.

AWS: "When you redrive an execution, it continues the failed execution from the unsuccessful
step and uses the same input. Step Functions preserves the results and execution history of the
successful steps, and doesn't rerun these steps ... For workflows that include an Inline Map or
Parallel state, RedriveExecution ... redrives only the iterations and branches that failed or
aborted." The history is kept and continues after an ``ExecutionRedriven`` event.

Resume here is replay (``recorder.py``), so a redrive is a resume that does not replay the
failure: of the events before the last ``ExecutionRedriven``, a state visit that never exited
(the one that failed, and the Map or Parallel states around it) is run again from a fresh
attempt (its retries start over), an iteration that failed or was aborted runs again, and the
execution's end is forgotten. Every state that exited, and every iteration that succeeded,
replays as recorded: its work is not done twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fleetops.engine.history import HistoryEvent

REDRIVEN = "ExecutionRedriven"

_ENDS = frozenset({"ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"})
_ITERATION_ENDS = frozenset({"MapIterationFailed", "MapIterationAborted"})
_ATTEMPT = re.compile(r"^(?P<visit>.*#\d+)~\d+$")
_ITERATION = re.compile(r"^(?P<visit>.*#\d+)~\d+/\d+$")


def redrive_count(events: Sequence[HistoryEvent]) -> int:
    """How many times the execution whose history is ``events`` was redriven."""
    return sum(1 for event in events if event.type == REDRIVEN)


def replayable(events: Sequence[HistoryEvent]) -> list[HistoryEvent]:
    """The events a (re)started run replays: all of them, unless the execution was redriven;
    then those before the last redrive without its failure (see the module docstring)."""
    last = max((i for i, event in enumerate(events) if event.type == REDRIVEN), default=None)
    if last is None:
        return list(events)
    before, after = events[:last], events[last:]
    entered = {e.scope for e in before if e.type.endswith("StateEntered")}
    exited = {e.scope for e in before if e.type.endswith("StateExited")}
    unfinished = entered - exited
    return [e for e in before if not _forgotten(e, unfinished)] + list(after)


def _forgotten(event: HistoryEvent, unfinished: set[str]) -> bool:
    if event.scope == "":
        return event.type in _ENDS
    if event.scope in unfinished:
        # The visit itself stays entered; how it ended (failed, aborted) is forgotten.
        return event.type.endswith(("StateFailed", "StateAborted"))
    if (match := _ATTEMPT.match(event.scope)) is not None:
        return match["visit"] in unfinished  # the attempt starts over
    if (match := _ITERATION.match(event.scope)) is not None:
        return match["visit"] in unfinished and event.type in _ITERATION_ENDS
    return False
