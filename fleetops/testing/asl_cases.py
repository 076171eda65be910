"""Run the ASL conformance cases recorded from AWS (``../shared/asl-cases``) against the engine.

Each case is a definition, an input and what AWS returned; :func:`check_case` runs it and says
whether the engine gave the same status, output, error and cause (or rejected the definition
with the same message), following the comparison rules of the cases' README.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetops.engine import Engine, InvalidDefinition, Registry, parse_definition
from fleetops.testing.fake_clock import FakeClock

ENV_VAR = "FLEETOPS_ASL_CASES"


def cases_dir() -> Path:
    """Where the cases are: ``$FLEETOPS_ASL_CASES``, else ``shared/asl-cases`` beside a parent
    of the repository (``/work/shared`` for ``/work/main`` and for ``/work/wt/<name>``)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    root = Path(__file__).resolve().parents[2]
    for folder in (root, *root.parents):
        candidate = folder / "shared" / "asl-cases"
        if candidate.is_dir():
            return candidate
    return root.parent / "shared" / "asl-cases"


@dataclass(frozen=True)
class Case:
    """One recorded execution."""

    category: str
    name: str
    data: dict[str, Any]

    @property
    def id(self) -> str:
        """``category/name``: the test id."""
        return f"{self.category}/{self.name}"


def load_cases(directory: Path) -> list[Case]:
    """Every case under ``directory``, sorted by category and name."""
    if not directory.is_dir():
        raise FileNotFoundError(
            f"ASL conformance cases not found at {directory}; set {ENV_VAR} to the asl-cases folder"
        )
    cases = [
        Case(path.parent.name, path.stem, json.loads(path.read_text()))
        for path in sorted(directory.glob("*/*.json"))
    ]
    if not cases:
        raise FileNotFoundError(f"no ASL conformance cases (*/*.json) under {directory}")
    return cases


def read_known_failures(path: Path) -> dict[str, str]:
    """``case-id reason`` lines of a known-failures file (``#`` comments), as id -> reason."""
    known = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            case_id, _, reason = line.partition(" ")
            known[case_id] = reason.strip()
    return known


def check_case(case: Case, *, timeout: float = 60.0) -> str | None:
    """None when the engine matches AWS on ``case``; else what differed."""
    return asyncio.run(_check(case, timeout))


async def _check(case: Case, timeout: float) -> str | None:
    data = case.data
    expected = data["expected"]
    tokens = data.get("mask_tokens", [])
    machine_type = data.get("state_machine_type", "STANDARD")
    try:
        machine = parse_definition(data["definition"], machine_type=machine_type)
    except InvalidDefinition as err:
        if expected["status"] != "INVALID_DEFINITION":
            return f"definition rejected: {err.message}"
        if expected["api"] == "ValidateStateMachineDefinition":
            diagnostics = [d.to_aws() for d in err.diagnostics]
            return (
                None
                if matches(expected["diagnostics"], diagnostics, tokens)
                else f"diagnostics {diagnostics}"
            )
        return None if matches(expected["message"], err.message, tokens) else f"message {err.message!r}"
    if expected["status"] == "INVALID_DEFINITION":
        return f"definition accepted; AWS said {expected['message']!r}"
    engine = Engine(Registry(), clock=FakeClock(auto_advance=True))
    handle = engine.start_execution(machine, data["input"], name="execution", state_machine_name="machine")
    try:
        result = await asyncio.wait_for(handle.result(), timeout)
    except TimeoutError:
        return "the execution did not finish"
    got: dict[str, Any] = {"status": result.status.value}
    if result.status.value == "SUCCEEDED":
        got["output"] = result.output
    elif result.status.value == "FAILED":
        got |= {k: v for k, v in (("error", result.error), ("cause", result.cause)) if v is not None}
    return None if matches(expected, got, tokens) else f"got {json.dumps(got)[:2000]}"


def matches(expected: Any, actual: Any, tokens: list[str]) -> bool:
    """Compare as the README says: JSON by value, masked strings as patterns."""
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(matches(v, actual[k], tokens) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a, tokens) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, str) and tokens and any(t in expected for t in tokens):
        if expected in tokens:
            return True
        if not isinstance(actual, str):
            return False
        alternation = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
        pattern = ".*?".join(re.escape(part) for part in re.split(alternation, expected))
        return re.fullmatch(pattern, actual, flags=re.DOTALL) is not None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return bool(expected == actual) and type(expected) is type(actual)


def iter_results(directory: Path) -> Iterator[tuple[Case, str | None]]:
    """(case, failure or None) for every case."""
    for case in load_cases(directory):
        try:
            yield case, check_case(case)
        except Exception as err:  # a crash is a failure of that case, not of the run
            yield case, f"crashed: {type(err).__name__}: {err}"


def has_history(case: Case) -> bool:
    """True when the case recorded a history that can be compared event by event."""
    data = case.data
    return (
        bool(data.get("history"))
        and not data.get("history_parallel_normalized")
        and (data["expected"]["status"] != "INVALID_DEFINITION")
    )


def check_history(case: Case) -> str | None:
    """None when the engine writes the same event types with the same ids as AWS recorded."""
    return asyncio.run(_check_history(case))


async def _check_history(case: Case) -> str | None:
    data = case.data
    machine = parse_definition(data["definition"], machine_type=data.get("state_machine_type", "STANDARD"))
    engine = Engine(Registry(), clock=FakeClock(auto_advance=True))
    handle = engine.start_execution(machine, data["input"], name="execution", state_machine_name="machine")
    await asyncio.wait_for(handle.result(), 60)
    got = [(event.type, event.id) for event in handle.history()]
    expected = [(event["type"], event["id"]) for event in data["history"]]
    if got == expected:
        return None
    at = next(
        (i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b),
        min(len(got), len(expected)),
    )
    return f"event #{at + 1}: expected {expected[at : at + 3]}, got {got[at : at + 3]}"
