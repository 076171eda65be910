"""Parse and validate ASL definitions into typed, frozen state trees."""

from fleetops.engine.definition.common import MISSING, Catcher, Missing, QueryLanguage, Retrier
from fleetops.engine.definition.diagnostics import Diagnostic, InvalidDefinition
from fleetops.engine.definition.parser import parse_definition
from fleetops.engine.definition.resources import ResourceKind, ResourceRef, parse_resource
from fleetops.engine.definition.states import (
    AnyState,
    ChoiceBranch,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    State,
    StateMachine,
    SucceedState,
    TaskState,
    WaitState,
)

__all__ = [
    "MISSING",
    "AnyState",
    "Catcher",
    "ChoiceBranch",
    "ChoiceState",
    "Diagnostic",
    "FailState",
    "InvalidDefinition",
    "MapState",
    "Missing",
    "ParallelState",
    "PassState",
    "QueryLanguage",
    "ResourceKind",
    "ResourceRef",
    "Retrier",
    "State",
    "StateMachine",
    "SucceedState",
    "TaskState",
    "WaitState",
    "parse_definition",
    "parse_resource",
]
