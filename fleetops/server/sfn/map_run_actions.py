"""Step Functions actions for the Map Runs of DISTRIBUTED Map states (registered on ``ACTIONS``):
DescribeMapRun, ListMapRuns, UpdateMapRun (``fleetops.control.map_runs``)."""

from __future__ import annotations

from typing import Any

from fleetops.control import ExecutionService
from fleetops.control.map_runs import describe_map_run, list_map_runs, update_map_run
from fleetops.server.roles import Role
from fleetops.server.sfn.actions import Body, action, next_page, page, required
from fleetops.server.sfn.validation import ValidationException


@action("DescribeMapRun", Role.VIEWER)
async def describe(service: ExecutionService, body: Body) -> Body:
    return describe_map_run(service, required(body, "mapRunArn"))


@action("ListMapRuns", Role.VIEWER)
async def list_(service: ExecutionService, body: Body) -> Body:
    limit, offset = page(body)
    runs = list_map_runs(service, required(body, "executionArn"))[offset : offset + limit]
    items = []
    for run in runs:
        item: dict[str, Any] = {
            "executionArn": run.execution_arn,
            "mapRunArn": run.arn,
            "stateMachineArn": run.state_machine_arn,
            "startDate": run.start.timestamp(),
        }
        if run.stop is not None:
            item["stopDate"] = run.stop.timestamp()
        items.append(item)
    return {"mapRuns": items, **next_page(runs, limit, offset)}


@action("UpdateMapRun", Role.OPERATOR, "executions.update_map_run", target="mapRunArn")
async def update(service: ExecutionService, body: Body) -> Body:
    concurrency = _number(body, "maxConcurrency", integer=True, top=None)
    count = _number(body, "toleratedFailureCount", integer=True, top=None)
    percentage = _number(body, "toleratedFailurePercentage", integer=False, top=100)
    update_map_run(
        service,
        required(body, "mapRunArn"),
        max_concurrency=None if concurrency is None else int(concurrency),
        tolerated_count=None if count is None else int(count),
        tolerated_percentage=percentage,
    )
    return {}


def _number(body: Body, member: str, *, integer: bool, top: float | None) -> float | None:
    """An optional non-negative number of the request (an integer where the model says so)."""
    value = body.get(member)
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, kinds)
        or value < 0
        or (top is not None and value > top)
    ):
        bound = f" and at most {top:g}" if top is not None else ""
        kind = "an integer" if integer else "a number"
        raise ValidationException(
            f"1 validation error detected: Value {value!r} at '{member}' failed to satisfy constraint: "
            f"Member must be {kind} of at least 0{bound}"
        )
    return float(value)
