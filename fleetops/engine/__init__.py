"""Amazon States Language interpreter: parse, validate, run durably. Knows nothing of fleets.

from fleetops.engine import Engine, Registry, FakeClock
registry = Registry()
registry.register("fleetops:hello", lambda payload: {"hello": payload})
handle = Engine(registry, clock=FakeClock(auto_advance=True)).start_execution(definition, {"x": 1})
result = await handle.result()   # status, output, error, cause
"""

from fleetops.engine.clock import Clock, FakeClock, SystemClock
from fleetops.engine.definition import InvalidDefinition, StateMachine, parse_definition
from fleetops.engine.errors import DefinitionError, StatesError, StatesErrorName
from fleetops.engine.history import EventType, ExecutionJournal, HistoryEvent, InMemoryJournal
from fleetops.engine.registry import Registry, TaskContext, TaskFailure, UnknownResource
from fleetops.engine.runtime.callbacks import ActivityTask, TaskDoesNotExist
from fleetops.engine.runtime.engine import Engine, ExecutionHandle
from fleetops.engine.runtime.execution import ExecutionResult, ExecutionStatus

__all__ = [
    "ActivityTask",
    "Clock",
    "DefinitionError",
    "Engine",
    "EventType",
    "ExecutionHandle",
    "ExecutionJournal",
    "ExecutionResult",
    "ExecutionStatus",
    "FakeClock",
    "HistoryEvent",
    "InMemoryJournal",
    "InvalidDefinition",
    "Registry",
    "StateMachine",
    "StatesError",
    "StatesErrorName",
    "SystemClock",
    "TaskContext",
    "TaskDoesNotExist",
    "TaskFailure",
    "UnknownResource",
    "parse_definition",
]
