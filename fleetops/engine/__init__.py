"""Amazon States Language interpreter: parse, validate, run durably. Knows nothing of fleets.

    from fleetops.engine import Engine, Registry
    from fleetops.testing.fake_clock import FakeClock
    registry = Registry()
    registry.register("fleetops:hello", lambda payload: {"hello": payload})
    handle = Engine(registry, clock=FakeClock(auto_advance=True)).start_execution(definition, {"x": 1})
    result = await handle.result()   # status, output, error, cause

Map of the package:

- ``definition/``: JSON -> frozen dataclasses (one per state type and construct), every problem
  collected with its JSON pointer (``InvalidDefinition``, AWS's wording).
- ``expressions/`` (JSONPath, payload templates, intrinsics, Choice rules, JSONata).
- ``states/``: what each state type does, one module each, returning an ``Outcome``.
- ``runtime/``: the interpreter (``runner``), data flow between fields (``dataflow``), Retry and
  Catch (``retry``), task invocation with timeouts and heartbeats (``invoke``, ``timers``),
  task tokens and activities (``callbacks``), the context object, the journal writer and
  replay (``recorder``), one execution's life (``execution``) and the ``Engine`` (``engine``).
- ``history.py``: event types, ``HistoryEvent``, the ``ExecutionJournal`` port.
- ``registry.py``: Task resources -> handlers and activities. Time is ``fleetops.clock.Clock``.

Durability: every event goes through an ``ExecutionJournal``; ``Engine.resume_execution``
replays the definition against the recorded events (matched by ``HistoryEvent.scope``), so
finished states and tasks are not redone and Wait keeps its due time.
"""

from fleetops.engine.definition import InvalidDefinition, StateMachine, parse_definition
from fleetops.engine.errors import DefinitionError, ExecutionAlreadyExists, StatesError, StatesErrorName
from fleetops.engine.history import EventType, ExecutionJournal, HistoryEvent, InMemoryJournal
from fleetops.engine.registry import Registry, TaskContext, TaskFailure, UnknownResource
from fleetops.engine.runtime.callbacks import ActivityTask, TaskDoesNotExist
from fleetops.engine.runtime.engine import Engine, ExecutionHandle, redriven_event
from fleetops.engine.runtime.execution import ExecutionResult, ExecutionStatus

__all__ = [
    "ActivityTask",
    "DefinitionError",
    "Engine",
    "EventType",
    "ExecutionAlreadyExists",
    "ExecutionHandle",
    "ExecutionJournal",
    "ExecutionResult",
    "ExecutionStatus",
    "HistoryEvent",
    "InMemoryJournal",
    "InvalidDefinition",
    "Registry",
    "StateMachine",
    "StatesError",
    "StatesErrorName",
    "TaskContext",
    "TaskDoesNotExist",
    "TaskFailure",
    "UnknownResource",
    "parse_definition",
    "redriven_event",
]
