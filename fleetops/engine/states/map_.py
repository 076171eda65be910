"""Map: "process all the elements of an array, potentially in parallel".

Items come from ItemsPath (JSONPath) or Items (JSONata); each is shaped by ItemSelector (legacy:
Parameters) with ``$$.Map.Item`` in the context, optionally grouped by ItemBatcher, and run
through the ItemProcessor with at most MaxConcurrency iterations at once (0: no limit). Without
a tolerance the first failed iteration fails the state; with ToleratedFailureCount/Percentage
the state fails with States.ExceedToleratedFailureThreshold once failures exceed it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fleetops.engine.definition.states import MapState
from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.runtime import dataflow
from fleetops.engine.runtime.frame import StateRun, StateRunner
from fleetops.engine.runtime.map_runs import MapRunControl, Slots
from fleetops.engine.runtime.outcome import Outcome
from fleetops.engine.states import map_items


async def run(run: StateRun) -> Outcome:
    """Run the processor once per item; the result is the array of iteration outputs."""
    state = run.state
    assert isinstance(state, MapState)
    try:
        settings = (
            map_items.jsonata_settings(run, state)
            if state.jsonata
            else map_items.jsonpath_settings(run, state)
        )
        items = settings.items
        if state.item_batcher is not None:
            items = map_items.batches(run, state, items, settings.scope_value)
    except StatesError as err:
        raise run.evaluation_failed(err) from None
    started = run.emit("MapStateStarted", {"length": len(items)}, scope=run.attempt_scope)
    if settings.tolerance_error is not None:
        raise settings.tolerance_error
    runner, first_id = run.runner, started.id
    control = MapRunControl(
        Slots(settings.max_concurrency), settings.tolerated_count, settings.tolerated_percentage
    )
    arn = None
    if state.mode == "DISTRIBUTED":
        # A Map Run: the iterations' events go to the run's own journal, as AWS keeps them apart;
        # its settings are kept with MapRunStarted (DescribeMapRun) and may change (UpdateMapRun).
        arn = _map_run_arn(run, state)
        run.emit("MapRunStarted", {"mapRunArn": arn}, scope=run.attempt_scope, meta=control.settings())
        runner, first_id = run.runner.map_run(arn), 0
        run.runner.map_runs.running[arn] = control
    try:
        results = await _run_iterations(run, runner, items, settings, first_id, control=control)
    except StatesError:
        if runner is not run.runner:
            run.emit("MapRunFailed", scope=run.attempt_scope, meta=control.settings())
        raise
    finally:
        if arn is not None:
            run.runner.map_runs.running.pop(arn, None)
    if runner is not run.runner:
        run.emit("MapRunSucceeded", scope=run.attempt_scope, meta=control.settings())
    run.emit("MapStateSucceeded", scope=run.attempt_scope)
    output, assigned = dataflow.finish_results(run, results, selector=state.result_selector)
    return Outcome(output, state.next, assigned)


async def _run_iterations(
    run: StateRun,
    runner: StateRunner,
    items: list[Any],
    settings: map_items.MapSettings,
    first_id: int,
    *,
    control: MapRunControl,
) -> list[Any]:
    """Every iteration's output, in item order; the first failure that fails the Map is raised.

    Iterations are started one by one, each after a transition granted by the pacer and a
    MaxConcurrency slot, rather than all at once: a Map over 100,000 items would otherwise
    create (and step) 100,000 tasks in one turn of the event loop.
    """
    state = run.state
    assert isinstance(state, MapState)
    slots = control.slots
    failures: list[StatesError] = []
    results: list[Any] = [None] * len(items)
    tasks: list[asyncio.Future[None]] = []
    failed: list[BaseException] = []
    settled = asyncio.Event()  # the first failure, or every iteration finished
    running = 0

    async def iterate(index: int, item: Any) -> None:
        try:
            results[index] = await _iteration(
                run,
                runner,
                state,
                index=index,
                item=item,
                settings=settings,
                started_id=first_id,
                failures=failures,
                control=control,
            )
        except Exception as err:
            # Recorded before the slot is given back: the spawner, woken by that, starts no more.
            if not failed:
                failed.append(err)
                settled.set()
        finally:
            slots.release()

    def ended(_task: asyncio.Future[None]) -> None:
        nonlocal running
        running -= 1
        if spawned.done() and running == 0:
            settled.set()

    async def spawn() -> None:
        nonlocal running
        for index, item in enumerate(items):
            await slots.acquire()
            await runner.pacer.transition(runner.info.execution_arn)
            if failed:
                return
            running += 1
            task = asyncio.ensure_future(iterate(index, item))
            task.add_done_callback(ended)
            tasks.append(task)
        if running == 0:
            settled.set()

    def spawn_ended(task: asyncio.Future[None]) -> None:
        if task.cancelled() or task.exception() is not None:
            settled.set()  # raised below, from spawned.result()

    spawned = asyncio.ensure_future(spawn())
    spawned.add_done_callback(spawn_ended)
    try:
        await settled.wait()
        if failed:
            raise failed[0]
        spawned.result()  # raises what stopped the spawning, if anything did
        return results
    finally:
        for task in (spawned, *tasks):
            if not task.done():
                task.cancel()
        await asyncio.gather(spawned, *tasks, return_exceptions=True)


def _map_run_arn(run: StateRun, state: MapState) -> str:
    """``arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>`` (the recorded one on resume)."""
    recorded = run.runner.recorder.recorded(run.attempt_scope, "MapRunStarted")
    if recorded is not None:
        return str(recorded.details["mapRunArn"])
    info = run.runner.info
    machine = info.state_machine_arn.split(":", 6)
    prefix = ":".join([*machine[:5], "mapRun"])
    return f"{prefix}:{info.state_machine_name}/{state.label or state.name}:{uuid.uuid4()}"


async def _iteration(
    run: StateRun,
    runner: StateRunner,
    state: MapState,
    *,
    index: int,
    item: Any,
    settings: map_items.MapSettings,
    started_id: int,
    failures: list[StatesError],
    control: MapRunControl,
) -> Any:
    scope = f"{run.attempt_scope}/{index}"
    names = {"index": index, "name": state.name}
    value = map_items.select_item(run, state, index, item, settings.scope_value)
    branch = run.branch.child(f"{scope}/", started_id)
    begin = runner.recorder.emit("MapIterationStarted", names, scope=scope, previous=started_id)
    branch.last_event_id = begin.id
    try:
        result = await runner.run_machine(state.processor, value, branch)
    except asyncio.CancelledError:
        if runner.stopping is not None:
            runner.recorder.emit("MapIterationAborted", names, scope=scope, previous=branch.last_event_id)
        raise
    except StatesError as err:
        runner.recorder.emit("MapIterationFailed", names, scope=scope, previous=branch.last_event_id)
        if not control.tolerant:
            raise
        failures.append(err)
        if control.exceeded(len(failures), len(settings.items)):
            raise StatesError(
                StatesErrorName.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                "The specified tolerated failure threshold was exceeded",
            ) from err
        return {"Error": err.error, "Cause": err.cause}
    runner.recorder.emit("MapIterationSucceeded", names, scope=scope, previous=branch.last_event_id)
    return result
