"""What each state type does when it runs: one module per type, one ``run`` coroutine each."""

from __future__ import annotations

from fleetops.engine.definition.states import (
    AnyState,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    SucceedState,
    TaskState,
    WaitState,
)
from fleetops.engine.runtime.outcome import Behaviour
from fleetops.engine.states import choice, fail, map_, parallel, pass_, succeed, task, wait

_BEHAVIOURS: dict[type, Behaviour] = {
    PassState: pass_.run,
    TaskState: task.run,
    ChoiceState: choice.run,
    WaitState: wait.run,
    SucceedState: succeed.run,
    FailState: fail.run,
    ParallelState: parallel.run,
    MapState: map_.run,
}


def behaviour_for(state: AnyState) -> Behaviour:
    """The coroutine that runs ``state``."""
    return _BEHAVIOURS[type(state)]
