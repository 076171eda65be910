"""One frozen dataclass per state type, as the parser builds them, and the state machine.

"States are represented as fields of the top-level States object. The state name, whose
length MUST be less than or equal to 80 Unicode characters, is the field name; the state
description is the field value." (Amazon States Language specification, States)

"A State Machine MUST have an object field named States, whose fields represent the states.
A State Machine MUST have a string field named StartAt, whose value MUST exactly match one
of names of the States fields." (Amazon States Language specification)

A machine holds states and a Parallel or Map state holds machines (its branches, its
processor), so both are defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from fleetops.engine.definition.common import MISSING, Catcher, Missing, QueryLanguage, Retrier


class ChoiceRule(Protocol):
    """A parsed Choice rule (built by the expression layer's ``parse_choice_rule``)."""

    def evaluate(self, scope: Any) -> bool:
        """Whether the rule matches in ``scope``."""
        ...


@dataclass(frozen=True, kw_only=True)
class State:
    """Fields every state has.

    "InputPath ... OutputPath ... a path ... The default value is $" and "If the value of
    InputPath is null, that means that the raw input is discarded, and the effective input for
    the state is an empty JSON object". ``None`` here is that JSON null; ``next`` is None for
    a terminal state.
    """

    name: str
    pointer: str
    query_language: QueryLanguage
    comment: str | None = None
    next: str | None = None
    input_path: str | None = "$"
    output_path: str | None = "$"
    assign: Mapping[str, Any] | Missing = MISSING
    output: Any = MISSING

    @property
    def type(self) -> str:
        """The ``Type`` as written in ASL."""
        return type(self).__name__.removesuffix("State")

    @property
    def jsonata(self) -> bool:
        """True when this state's fields are JSONata."""
        return self.query_language is QueryLanguage.JSONATA


@dataclass(frozen=True, kw_only=True)
class PassState(State):
    """ "The Pass State by default passes its input to its output, performing no work."

    "Result: Treated as the output of a virtual task to be passed to the next state, and
    filtered as specified by the ResultPath field (if present)."
    """

    parameters: Any = MISSING
    result: Any = MISSING
    result_path: str | None = "$"


@dataclass(frozen=True, kw_only=True)
class TaskState(State):
    """ "The Task State causes the interpreter to execute the work identified by the state's
    Resource field."

    ``parameters`` is ``Parameters`` (JSONPath) or ``Arguments`` (JSONata). Timeouts are ints
    or, with the Path forms, paths; in JSONata they may be ``{% %}`` strings.
    """

    resource: str
    parameters: Any = MISSING
    result_selector: Any = MISSING
    result_path: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    timeout_seconds: Any = MISSING
    timeout_seconds_path: str | None = None
    heartbeat_seconds: Any = MISSING
    heartbeat_seconds_path: str | None = None
    credentials: Any = MISSING


@dataclass(frozen=True, kw_only=True)
class ChoiceBranch:
    """One entry of ``Choices``: a rule (JSONPath) or a ``Condition`` (JSONata), and ``Next``.

    "A Choice Rule MUST have a Next field whose value MUST match a state name."
    """

    next: str
    rule: ChoiceRule | None = None
    condition: Any = MISSING
    assign: Mapping[str, Any] | Missing = MISSING
    output: Any = MISSING


@dataclass(frozen=True, kw_only=True)
class ChoiceState(State):
    """ "A Choice state adds branching logic to a state machine."

    "Choice states MAY have a Default field ... which will execute if none of the Choice Rules
    match." Without one, no match fails with States.NoChoiceMatched.
    """

    choices: tuple[ChoiceBranch, ...] = ()
    default: str | None = None


@dataclass(frozen=True, kw_only=True)
class WaitState(State):
    """ "A Wait state causes the interpreter to delay the machine from continuing for a
    specified time. The time can be specified as a wait duration, specified in seconds, or an
    absolute expiry time, specified as an ISO-8601 extended offset date-time format string."
    """

    seconds: Any = MISSING
    timestamp: Any = MISSING
    seconds_path: str | None = None
    timestamp_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class SucceedState(State):
    """ "The Succeed State terminates a state machine successfully." """


@dataclass(frozen=True, kw_only=True)
class FailState(State):
    """ "The Fail State terminates the machine and marks it as a failure."

    Error/Cause or ErrorPath/CausePath (JSONata: Error/Cause may be ``{% %}``); either may be
    absent, in which case AWS reports none.
    """

    error: Any = MISSING
    error_path: str | None = None
    cause: Any = MISSING
    cause_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class ParallelState(State):
    """ "The Parallel State causes parallel execution of 'branches'."

    "The Parallel State's output is an array with one element for each branch containing the
    output from that branch."
    """

    branches: tuple[StateMachine, ...] = ()
    parameters: Any = MISSING
    result_selector: Any = MISSING
    result_path: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MapState(State):
    """ "The Map State causes the interpreter to process all the elements of an array,
    potentially in parallel, with the processing of each element independent of the others."

    ``processor`` is the ItemProcessor (or the legacy Iterator); ``item_selector`` is
    ItemSelector (or the legacy Parameters). DISTRIBUTED mode runs like INLINE over items taken
    from the input.
    """

    processor: StateMachine
    mode: str = "INLINE"
    label: str | None = None
    items_path: str | None = "$"
    items: Any = MISSING
    item_selector: Any = MISSING
    item_selector_field: str = "ItemSelector"
    item_batcher: Mapping[str, Any] | None = None
    max_concurrency: Any = 0
    max_concurrency_path: str | None = None
    tolerated_failure_percentage: Any = MISSING
    tolerated_failure_percentage_path: str | None = None
    tolerated_failure_count: Any = MISSING
    tolerated_failure_count_path: str | None = None
    result_selector: Any = MISSING
    result_path: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


AnyState = (
    PassState | TaskState | ChoiceState | WaitState | SucceedState | FailState | ParallelState | MapState
)


@dataclass(frozen=True, kw_only=True)
class StateMachine:
    """A parsed, validated definition (or sub-machine); ``source`` is the JSON it came from."""

    start_at: str
    states: Mapping[str, AnyState]
    query_language: QueryLanguage = QueryLanguage.JSONPATH
    timeout_seconds: int | None = None
    comment: str | None = None
    pointer: str = ""
    source: Mapping[str, Any] | None = None

    def state(self, name: str) -> AnyState:
        """The state called ``name``."""
        return self.states[name]
