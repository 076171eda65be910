"""Parallel: "causes parallel execution of 'branches'"; its result is the array of branch outputs.

"If any branch fails, due to an unhandled error or by transitioning to a Fail state, the
entire Parallel State is considered to have failed and all its branches are stopped."
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from fleetops.engine.definition.common import MISSING
from fleetops.engine.definition.states import ParallelState
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.frame import StateRun
from fleetops.engine.runtime.outcome import Outcome


async def run(run: StateRun) -> Outcome:
    """Run every branch on the same input; collect their outputs in branch order."""
    state = run.state
    assert isinstance(state, ParallelState)
    binding: dict[str, Any] = {}
    if state.jsonata:
        binding = dataflow.states_binding(run, run.raw_input)
        value = (
            dataflow.jsonata(run, state.parameters, binding, "Arguments")
            if state.parameters is not MISSING
            else run.raw_input
        )
    else:
        value = dataflow.select(run, state.input_path, run.raw_input)
        if state.parameters is not MISSING:
            value = dataflow.payload(run, state.parameters, value, "Parameters")
    started = run.emit("ParallelStateStarted", scope=run.attempt_scope)
    tasks = [
        asyncio.ensure_future(
            run.runner.run_machine(
                branch, value, run.branch.child(f"{run.attempt_scope}/{index}/", started.id)
            )
        )
        for index, branch in enumerate(state.branches)
    ]
    results = await gather_failfast(tasks)
    run.emit("ParallelStateSucceeded", scope=run.attempt_scope)
    output, assigned = dataflow.finish_results(run, results, selector=state.result_selector)
    return Outcome(output, state.next, assigned)


async def gather_failfast(tasks: Sequence[asyncio.Future[Any]]) -> list[Any]:
    """Results in order; on the first StatesError cancel the rest and raise it."""
    try:
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            for task in tasks:
                if task in done and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        return [task.result() for task in tasks]
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
