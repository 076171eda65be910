"""An exported runbook's Step Functions history, read as the local engine's history.

On Step Functions a runbook's ``fleetops:*`` tasks are Activities (``fleetops.runbooks.activities``):
their events are ``ActivityScheduled`` (the activity's ARN, the input ``{"payload", "context"}``),
``ActivityStarted``, ``ActivitySucceeded``/``ActivityFailed``/``ActivityTimedOut``. What the control
plane reads of a deployment (its plan, its steps, its rollback targets: ``control.deployments``)
looks for the local engine's ``TaskScheduled`` of resource ``deploy-initialize`` and the
``TaskSucceeded`` after it. :func:`as_local_history` rewrites the one into the other, so the same
readers serve both orchestrators; every other event is kept as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from fleetops.engine import HistoryEvent
from fleetops.runbooks.activities import WAIT_FOR_TOKEN, ActivityNames

_ACTIVITY_TYPES = {
    "ActivityScheduled": "TaskScheduled",
    "ActivityStarted": "TaskStarted",
    "ActivitySucceeded": "TaskSucceeded",
    "ActivityFailed": "TaskFailed",
    "ActivityTimedOut": "TaskTimedOut",
    "ActivityScheduleFailed": "TaskFailed",
}


def as_local_history(events: Iterable[Mapping[str, Any]], names: ActivityNames | None) -> list[HistoryEvent]:
    """``events`` (GetExecutionHistory's, oldest first) as the engine's ``HistoryEvent``s: the
    environment's activity events (``names``) become Task events of their handler, scoped by the
    ``ActivityScheduled`` they follow (linked by ``previousEventId``, as AWS links them). With
    ``names`` None, every event is kept as AWS recorded it (to show it)."""
    scope_of: dict[int, str] = {}
    converted = []
    for event in events:
        kind = str(event["type"])
        details = _details(event)
        scope = ""
        if names is None:
            pass
        elif kind == "ActivityScheduled":
            handler, parameters = _scheduled(details, names)
            if handler is not None:
                scope = str(event["id"])
                kind = "TaskScheduled"
                details = {"resource": handler, "resourceType": "fleetops", "parameters": parameters}
        elif kind in _ACTIVITY_TYPES and int(event.get("previousEventId", 0)) in scope_of:
            scope = scope_of[int(event["previousEventId"])]
            kind = _ACTIVITY_TYPES[kind]
        if scope:
            scope_of[int(event["id"])] = scope
        converted.append(
            HistoryEvent(
                id=int(event["id"]),
                previous_event_id=int(event.get("previousEventId", 0)),
                timestamp=_timestamp(event["timestamp"]),
                type=kind,
                details=details,
                scope=scope,
            )
        )
    return converted


def _details(event: Mapping[str, Any]) -> dict[str, Any]:
    found = next((v for k, v in event.items() if k.endswith("EventDetails")), None)
    return dict(found) if isinstance(found, Mapping) else {}


def _scheduled(details: Mapping[str, Any], names: ActivityNames) -> tuple[str | None, str]:
    """The handler an ActivityScheduled event calls (None: not one of the environment's
    activities) and the payload it got, as JSON text."""
    handler = names.handler(str(details.get("resource", "")).rsplit(":", 1)[-1])
    try:
        task = json.loads(details.get("input") or "{}")
    except ValueError:
        task = {}
    if handler is None or not isinstance(task, dict):
        return None, "null"
    context = task.get("context")
    if isinstance(context, dict) and context.get("wait_for_token"):
        handler += WAIT_FOR_TOKEN
    return handler, json.dumps(task.get("payload"))


def _timestamp(value: Any) -> datetime:
    # boto3 parses timestamps; a JSON export of a history holds ISO 8601 text.
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
