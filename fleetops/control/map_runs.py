"""Map Runs of DISTRIBUTED Map states: DescribeMapRun, ListMapRuns, UpdateMapRun.

A DISTRIBUTED Map's iterations run as a Map Run with its own history (the engine's
``map_.py``): its execution records ``MapRunStarted`` (the run's ARN; the engine keeps the
run's MaxConcurrency and tolerances in the event's ``meta``) and ``MapRunSucceeded`` or
``MapRunFailed`` (with the settings it ended with), and the run's own journal records each
iteration (``MapIterationStarted`` / ``Succeeded`` / ``Failed`` / ``Aborted``, by index). What
the API answers is read from these. Each iteration is one child execution in AWS's terms, so
``executionCounts`` and ``itemCounts`` are the same counts here; with an ItemBatcher they count
batches (AWS counts the items of the batches in ``itemCounts``). Nothing is written by a Map
Run's ResultWriter (no S3 here): ``resultsWritten`` is 0.

UpdateMapRun changes a Map Run in progress on this control plane's engine (its MaxConcurrency
for the next iterations to start, its tolerances for the next failure); a Map Run that ended,
or one run by a peer control plane, is refused with what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetops.control.names import check_arn
from fleetops.control.service import ExecutionService
from fleetops.engine import HistoryEvent
from fleetops.errors import BadInput
from fleetops.store.executions import RUNNING, ExecutionRecord
from fleetops.store.state_machine_versions import ResourceNotFound

_ENDS = {"MapRunSucceeded": "SUCCEEDED", "MapRunFailed": "FAILED", "MapRunAborted": "ABORTED"}
_ITERATION_ENDS = {
    "MapIterationSucceeded": "succeeded",
    "MapIterationFailed": "failed",
    "MapIterationAborted": "aborted",
}


class MapRunNotRunning(BadInput):
    """UpdateMapRun of a Map Run that is not in progress here."""

    aws_code = "ValidationException"


@dataclass(frozen=True)
class MapRun:
    """One Map Run as its execution's history says."""

    arn: str
    execution_arn: str
    state_machine_arn: str
    status: str
    start: datetime
    stop: datetime | None
    total: int
    settings: dict[str, Any]


def list_map_runs(service: ExecutionService, execution_arn: str) -> list[MapRun]:
    """The Map Runs an execution started, oldest first (ExecutionDoesNotExist)."""
    record = service.describe_execution(check_arn(execution_arn, "execution"))
    events = service.store.executions.events(record.arn)
    return [_run(service, record, events, event) for event in events if event.type == "MapRunStarted"]


def find_map_run(service: ExecutionService, arn: str) -> MapRun:
    """The Map Run ``arn`` (InvalidArn, ResourceNotFound)."""
    check_arn(arn, "mapRun")
    service.writer.flush()
    execution_arn = service.store.executions.map_run_parent(arn)
    if execution_arn is not None:
        for run in list_map_runs(service, execution_arn):
            if run.arn == arn:
                return run
    raise ResourceNotFound(f"Map Run Does Not Exist: '{arn}'")


def describe_map_run(service: ExecutionService, arn: str) -> dict[str, Any]:
    """DescribeMapRun's answer."""
    run = find_map_run(service, arn)
    counts = _counts(service, run)
    answer: dict[str, Any] = {
        "mapRunArn": run.arn,
        "executionArn": run.execution_arn,
        "status": run.status,
        "startDate": run.start.timestamp(),
        "maxConcurrency": int(run.settings.get("max_concurrency") or 0),
        "toleratedFailurePercentage": float(run.settings.get("tolerated_percentage") or 0.0),
        "toleratedFailureCount": int(run.settings.get("tolerated_count") or 0),
        "itemCounts": counts,
        "executionCounts": dict(counts),
        "redriveCount": 0,
    }
    if run.stop is not None:
        answer["stopDate"] = run.stop.timestamp()
    return answer


def update_map_run(
    service: ExecutionService,
    arn: str,
    *,
    max_concurrency: int | None,
    tolerated_count: int | None,
    tolerated_percentage: float | None,
) -> None:
    """UpdateMapRun: the settings given, for the rest of the Map Run in progress."""
    run = find_map_run(service, arn)
    control = service.engine.map_runs.update(
        arn,
        max_concurrency=max_concurrency,
        tolerated_count=tolerated_count,
        tolerated_percentage=tolerated_percentage,
    )
    if control is not None:
        return
    if run.status != RUNNING:
        raise MapRunNotRunning(f"Map Run {arn} is {run.status}: only a running Map Run can be updated")
    raise MapRunNotRunning(
        f"Map Run {arn} runs on another control plane sharing this store: send UpdateMapRun to the "
        "one that holds its execution's lease"
    )


def _run(
    service: ExecutionService, record: ExecutionRecord, events: list[HistoryEvent], started: HistoryEvent
) -> MapRun:
    arn = str(started.details["mapRunArn"])
    scope = started.scope
    later = [e for e in events if e.id > started.id and e.scope == scope]
    end = next((e for e in later if e.type in _ENDS), None)
    before = [e for e in events if e.id < started.id and e.scope == scope and e.type == "MapStateStarted"]
    total = int(before[-1].details.get("length", 0)) if before else 0
    live = service.engine.map_runs.running.get(arn)
    settings: dict[str, Any] = dict(started.meta)
    if end is not None:
        status, stop = _ENDS[end.type], end.timestamp
        settings.update(end.meta)
    elif record.status != RUNNING:
        # The execution ended (stopped, timed out) while the run was in progress.
        status, stop = "ABORTED", events[-1].timestamp
    else:
        status, stop = RUNNING, None
    if live is not None:
        settings.update(live.settings())
    return MapRun(arn, record.arn, record.state_machine_arn, status, started.timestamp, stop, total, settings)


def _counts(service: ExecutionService, run: MapRun) -> dict[str, int]:
    """Iterations by their last state (a redriven iteration counts once, as it is now)."""
    last: dict[int, str] = {}
    for event in service.store.executions.events(run.arn):
        index = event.details.get("index")
        if not isinstance(index, int):
            continue
        if event.type == "MapIterationStarted":
            last[index] = "running"
        elif event.type in _ITERATION_ENDS:
            last[index] = _ITERATION_ENDS[event.type]
    counts = dict.fromkeys(("running", "succeeded", "failed", "timedOut", "aborted"), 0)
    for state in last.values():
        counts[state] += 1
    if run.status != RUNNING:
        # Iterations left running when the run ended were stopped with it.
        counts["aborted"] += counts["running"]
        counts["running"] = 0
    pending = max(run.total - len(last), 0) if run.status == RUNNING else 0
    return {"pending": pending, **counts, "total": run.total, "resultsWritten": 0}
