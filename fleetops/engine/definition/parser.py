"""Parse and validate an ASL definition into a :class:`StateMachine`, reporting every problem.

Each problem is a :class:`Diagnostic` with the JSON pointer of the offending field; where AWS's
wording is known (recorded ``InvalidDefinition`` messages) it is used verbatim.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fleetops.engine.definition import fields as f
from fleetops.engine.definition.common import QueryLanguage
from fleetops.engine.definition.diagnostics import Diagnostic, InvalidDefinition
from fleetops.engine.definition.problems import Problems
from fleetops.engine.definition.state_parsers import parse_state
from fleetops.engine.definition.states import StateMachine

MACHINE_FIELDS = frozenset({"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"})


def parse_definition(source: str | Mapping[str, Any], *, machine_type: str = "STANDARD") -> StateMachine:
    """Parse ``source`` (JSON text or a decoded object); raise :class:`InvalidDefinition`.

    ``machine_type`` is ``STANDARD`` or ``EXPRESS`` (EXPRESS machines refuse callbacks).
    """
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as err:
            raise InvalidDefinition(
                [Diagnostic("/", f"Definition is not valid JSON: {err}", code="INVALID_JSON_DESCRIPTION")]
            ) from err
    problems = Problems(machine_type=machine_type)
    if not isinstance(source, Mapping):
        problems.add("/", "The definition must be a JSON object")
        raise InvalidDefinition(problems.diagnostics)
    machine = parse_machine(source, "", problems, QueryLanguage.JSONPATH, top=True)
    if problems.diagnostics or machine is None:
        raise InvalidDefinition(problems.diagnostics)
    return machine


def parse_machine(
    node: Mapping[str, Any],
    pointer: str,
    problems: Problems,
    inherited: QueryLanguage,
    *,
    top: bool = False,
    extra_fields: frozenset[str] = frozenset(),
) -> StateMachine | None:
    """Parse a machine, a Parallel branch or a Map processor found at ``pointer``."""
    where = pointer or "/"
    missing = [name for name in ("States", "StartAt") if name not in node]
    if missing:
        problems.add(where, f"These fields are required: [{', '.join(missing)}]")
    allowed = MACHINE_FIELDS | extra_fields if top else {"StartAt", "States", "Comment"} | extra_fields
    if not top and pointer.endswith(("/ItemProcessor", "/Iterator")):
        allowed |= {"ProcessorConfig"}
    for name in node:
        if name not in allowed:
            problems.add(where, f"Field '{name}' is not supported")
    # Branches and processors take the machine's language, whatever their Map/Parallel says.
    language = inherited
    if top and "QueryLanguage" in node:
        language = f.query_language(node["QueryLanguage"], f"{pointer}/QueryLanguage", problems) or language
        problems.machine_language = language
    timeout = None
    if top and "TimeoutSeconds" in node:
        timeout = f.positive_int(node["TimeoutSeconds"], "/TimeoutSeconds", problems, minimum=1)
    states_node = node.get("States")
    if "States" in node and not isinstance(states_node, Mapping):
        problems.add(f"{pointer}/States", "The field 'States' must be an object")
        return None
    start_at = node.get("StartAt")
    if "StartAt" in node and not isinstance(start_at, str):
        problems.add(f"{pointer}/StartAt", "The field 'StartAt' must be a string")
        return None
    if states_node is None or start_at is None:
        return None
    if not states_node:
        problems.add(f"{pointer}/States", "The field 'States' must have at least one state")
    states = {}
    for name, body in states_node.items():
        state_pointer = f"{pointer}/States/{name}"
        if not isinstance(body, Mapping):
            problems.add(state_pointer, "A state must be a JSON object")
            continue
        if len(name) > 80:
            problems.add(state_pointer, "State names must be at most 80 characters long")
        state = parse_state(name, body, state_pointer, problems, language, parse_machine)
        if state is not None:
            states[name] = state
    if states_node and start_at not in states_node:
        problems.add(
            f"{pointer}/StartAt",
            f"Missing 'Next' target: {start_at}",
            code="MISSING_TRANSITION_TARGET",
        )
    _check_transitions(states, states_node, start_at, pointer, problems)
    if states and not any(_terminal(state) for state in states.values()):
        problems.add("null", "Workflow has no terminal state", code="MISSING_END_STATE")
    return StateMachine(
        start_at=start_at,
        states=states,
        query_language=language,
        timeout_seconds=timeout,
        comment=node.get("Comment") if isinstance(node.get("Comment"), str) else None,
        pointer=pointer,
        source=node,
    )


def _terminal(state: Any) -> bool:
    """A state that can end its machine: Succeed, Fail, or End: true."""
    return state.type in ("Succeed", "Fail") or (state.next is None and state.type != "Choice")


def _check_transitions(
    states: Mapping[str, Any],
    states_node: Mapping[str, Any],
    start_at: str,
    pointer: str,
    problems: Problems,
) -> None:
    """Every Next names a state of this machine, and every state is reachable from StartAt."""
    edges: dict[str, list[str]] = {}
    for name, state in states.items():
        targets = list(f.transitions(state))
        for field_pointer, target in targets:
            if target not in states_node:
                problems.add(
                    f"{pointer}/States/{name}{field_pointer}",
                    f"Missing 'Next' target: {target}",
                    code="MISSING_TRANSITION_TARGET",
                )
        edges[name] = [t for _, t in targets]
    if start_at not in states:
        return
    seen = {start_at}
    todo = [start_at]
    while todo:
        for target in edges.get(todo.pop(), []):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for name in states:
        if name not in seen:
            problems.add(
                f"{pointer}/States/{name}",
                f'State "{name}" is not reachable.',
                code="MISSING_TRANSITION_TARGET",
            )
