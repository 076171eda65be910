"""``fleetops:notify``: tell the fleet file's channels that a runbook started, succeeded, failed
or rolled back. Deliveries are deduplicated by (event, environment, execution), so a retried
task does not send twice, and a delivery problem never fails the runbook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fleetops.engine import TaskContext
from fleetops.ops.notify import DeploymentEvent, EventKind, notify
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers.common import read_cause
from fleetops.spec.resources import EVENTS


def event_of(deps: RunbookDeps, payload: dict[str, Any]) -> DeploymentEvent:
    """The event ``payload`` describes: ``event`` (a kind), ``plan``, optional ``failure``."""
    plan = payload["plan"]
    kind = EventKind(payload["event"])
    operation = str(plan.get("operation") or "deploy")
    if operation == "rotate":  # secret.rotated, secret.rotation_failed
        operation = "secret"
    if f"{operation}.{kind}" not in EVENTS:  # a promotion starts and rolls back as a deployment
        operation = "deploy"
    now = deps.clock.now()
    started = plan.get("started_at")
    failure = payload.get("failure") or {}
    reason = read_cause(failure.get("Cause"))[1] or failure.get("Error")
    if operation == "secret":
        versions = {}
    elif "waves" in plan:
        versions = {i["service"]: i["version"] for wave in plan["waves"] for i in wave}
    else:
        versions = {t["service"]: t["version"] for t in plan.get("targets", []) if t.get("version")}
    if kind is EventKind.ROLLED_BACK:
        versions = {t["service"]: t["version"] for t in payload.get("targets", []) if t.get("version")}
    return DeploymentEvent(
        kind=kind,
        environment=plan["environment"],
        execution_id=plan["execution"],
        at=now,
        services=tuple(versions) or tuple(plan.get("services") or ()),
        versions=versions,
        duration=None if not started or kind is EventKind.STARTED else now - datetime.fromisoformat(started),
        reason=reason,
        operation=operation,
    )


def send(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """Send the event; the delivery records (channel, status) as the result."""
    event = event_of(deps, payload)
    channels = deps.fleet(event.environment).notifications
    deliveries = notify(
        deps.store,
        channels,
        [event],
        secret_values=deps.secret_values(event.environment),
        secret_value=lambda name: deps.secret_value(event.environment, name),
        clock=deps.clock,
        http=deps.http,
        retry=deps.notify_retry,
    )
    return {
        "event": event.name,
        "deliveries": [{"channel": d.channel, "status": str(d.status)} for d in deliveries],
    }
