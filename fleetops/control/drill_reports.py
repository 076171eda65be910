"""Drills read back from the executions: ``fleetops drill list`` and ``fleetops drill report``.

A drill's report is the output of its ``drill-measure`` step (or ``drill-failed``, after a
failure) in the execution's history, so it is kept as long as the execution is, with no table
of its own; a drill still running has no report yet and shows its plan and steps.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from fleetops.control.service import ExecutionService
from fleetops.engine import HistoryEvent
from fleetops.errors import BadInput
from fleetops.runbooks import RUNBOOKS
from fleetops.store.executions import RUNNING, ExecutionRecord

DRILL_RUNBOOKS = tuple(r for r in RUNBOOKS if r.startswith("drill-"))


def _machine(executions: ExecutionService, runbook: str) -> str:
    return executions.engine.state_machine_arn(f"fleetops-{runbook}")


def drill_runbook(name: str) -> str | None:
    """The drill runbook an execution name belongs to (``drill-datastore-loss-dev-…``)."""
    return next((r for r in DRILL_RUNBOOKS if name.startswith(f"{r}-")), None)


def _task_output(events: Sequence[HistoryEvent], resources: tuple[str, ...]) -> Any:
    scheduled: dict[str, str] = {}
    found = None
    for event in events:
        if event.type == "TaskScheduled":
            scheduled[event.scope] = str(event.details.get("resource"))
        elif event.type == "TaskSucceeded" and scheduled.get(event.scope) in resources:
            found = json.loads(event.details["output"])
    return found


def report_of(executions: ExecutionService, record: ExecutionRecord) -> dict[str, Any]:
    """The drill's report (its plan and status while it runs, or when it failed before one)."""
    events = executions.history(record.arn)
    report = _task_output(events, ("drill-measure", "drill-failed"))
    plan = _task_output(events, ("drill-initialize",)) or {}
    given = json.loads(record.input)
    base = {
        "drill": record.name,
        "status": record.status,
        "scenario": plan.get("scenario") or given.get("scenario"),
        "environment": plan.get("environment") or given.get("environment"),
        "datastore": plan.get("datastore") or given.get("datastore"),
        "service": plan.get("service") or given.get("service"),
        "started_at": record.start_date.astimezone(UTC).isoformat(),
        "ended_at": None if record.stop_date is None else record.stop_date.astimezone(UTC).isoformat(),
    }
    if isinstance(report, dict):
        return {**report, **base}
    outcome = "running" if record.status == RUNNING else "failed"
    failure = None if record.status == RUNNING else f"{record.error}: {record.cause}"
    return {**base, "outcome": outcome, "failure": failure, "plan": plan or None}


def list_drills(
    executions: ExecutionService, *, environment: str | None, limit: int = 50
) -> list[dict[str, Any]]:
    """The drills, newest first, each with its report's figures."""
    records = [
        record
        for runbook in DRILL_RUNBOOKS
        for record in executions.store.executions.list(_machine(executions, runbook), limit=limit)
    ]
    records.sort(key=lambda r: r.start_date, reverse=True)
    out = [report_of(executions, r) for r in records[:limit]]
    return [r for r in out if environment is None or r.get("environment") == environment]


def drill_report(
    executions: ExecutionService, name: str | None, *, environment: str | None
) -> dict[str, Any]:
    """Drill ``name``'s report (None: the newest drill's); ``BadInput`` when there is none."""
    if name is None:
        found = list_drills(executions, environment=environment, limit=1 if environment is None else 50)
        if not found:
            raise BadInput("no drill has run yet (start one with `fleetops drill datastore-loss`)")
        return found[0]
    runbook = drill_runbook(name)
    if runbook is None:
        raise BadInput(f"{name!r} is not a drill (its name starts with drill-<scenario>-)")
    record = executions.describe_execution(executions.engine.execution_arn(f"fleetops-{runbook}", name))
    return report_of(executions, record)
