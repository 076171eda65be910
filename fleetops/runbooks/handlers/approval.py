"""``fleetops:deploy-approval.waitForTaskToken``: a deployment to an ``approval: required``
environment waits here until ``fleetops approve EXECUTION`` (SendTaskSuccess with its token) or
``--reject`` (SendTaskFailure), or until the state's TimeoutSecondsPath passes (States.Timeout).

The token is the ``token`` field of the task's parameters, so the approve route finds it in the
execution's history (TaskScheduled), durable across a control-plane restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fleetops.engine import HistoryEvent, TaskContext
from fleetops.runbooks.deps import RunbookDeps

log = logging.getLogger(__name__)

APPROVAL_RESOURCE = "fleetops:deploy-approval"
REJECTED = "fleetops.ApprovalRejected"
"""The error a rejected approval fails the deployment with."""


def request_approval(_deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Record that the deployment waits for a person (the engine then waits for the token)."""
    plan = payload["plan"]
    log.info(
        "deployment %s to %s waits for approval: fleetops approve %s",
        plan["execution"],
        plan["environment"],
        plan["execution"],
    )
    return {"waiting_for": f"fleetops approve {plan['execution']}"}


def pending_approval_token(events: Sequence[HistoryEvent]) -> str | None:
    """The task token of the approval an execution waits for now (None: it waits for none)."""
    resource = APPROVAL_RESOURCE.removeprefix("fleetops:") + ".waitForTaskToken"
    waiting: dict[str, str] = {}
    for event in events:
        if event.type == "TaskScheduled" and event.details.get("resource") == resource:
            parameters = json.loads(event.details.get("parameters") or "{}")
            waiting[event.scope] = str(parameters.get("token"))
        elif event.type in _TASK_ENDS:
            waiting.pop(event.scope, None)
    return next(reversed(waiting.values()), None)


_TASK_ENDS = frozenset({"TaskSucceeded", "TaskFailed", "TaskTimedOut"})
