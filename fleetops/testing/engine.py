"""Run a definition to its end in a test, on a fake clock that jumps over waits."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleetops.engine import Engine, ExecutionResult, HistoryEvent, Registry
from fleetops.testing.fake_clock import FakeClock


@dataclass(frozen=True)
class Finished:
    """An execution's result, its history and the fake clock's time at the end."""

    result: ExecutionResult
    history: Sequence[HistoryEvent]
    elapsed: float


def run_definition(
    definition: Mapping[str, Any] | str,
    input: Any = None,
    *,
    registry: Registry | None = None,
    clock: FakeClock | None = None,
) -> Finished:
    """Start ``definition`` and wait for its end (a fresh event loop; not for async tests)."""

    async def go() -> Finished:
        fake = clock or FakeClock(auto_advance=True)
        start = fake.now()
        handle = Engine(registry or Registry(), clock=fake).start_execution(definition, input)
        result = await handle.result()
        return Finished(result, handle.history(), (fake.now() - start).total_seconds())

    return asyncio.run(go())


def types(history: Sequence[HistoryEvent]) -> list[str]:
    """The event types of a history, in order."""
    return [event.type for event in history]
