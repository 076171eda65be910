"""What the dashboard shows of the control plane, one JSON document per view, read as the REST
routes read it (same services, same redaction): the live stream (``routes/events.py``) sends a
view again whenever it changed.

Views: ``fleet`` (one environment: services with their rollout now, instances, datastores,
alarms, maintenance, lock, blocks), ``deployments`` (the executions of the built-in runbooks,
newest first) and ``deployment`` (one execution's progress, its history and its state machine
as a graph). They run on a worker thread (they read the store and the providers).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from fastapi import FastAPI

from fleetops.clock import Clock
from fleetops.control.deployments import Deployments, describe, machine_name
from fleetops.control.environments import Environments
from fleetops.ops.maintenance import maintenance_status
from fleetops.redaction import Redactor
from fleetops.runbooks import RUNBOOKS
from fleetops.server.ui.graph import layout, state_statuses
from fleetops.store import Store
from fleetops.store.maintenance import scope_of

DEPLOYMENTS_LISTED = 100
EVENTS_SHOWN = 500


def fleet_view(app: FastAPI, environment: str | None) -> dict[str, Any]:
    """One environment as the Fleet page shows it (``environment`` None: the only one running)."""
    environments: Environments = app.state.environments
    store: Store = app.state.store
    redactor: Redactor = app.state.redactor
    runtime = environments.pick(environment)
    status: dict[str, Any] = runtime.status().to_json()
    for service in status["services"]:
        service["rollout_view"] = None
        if service["rollout"] is not None:
            # KeyError: it ended and was forgotten between the two reads.
            with contextlib.suppress(KeyError):
                service["rollout_view"] = runtime.describe_rollout(service["rollout"]).to_json()
    monitor = getattr(runtime, "alarms", None)
    describe_alarms = getattr(monitor, "describe", None)
    alarms = [status.to_json() for status in describe_alarms()] if callable(describe_alarms) else []
    name = runtime.environment
    lock = store.locks.get(name)
    clock: Clock = app.state.clock
    now = clock.now()
    fleet = environments.fleet
    view = {
        **status,
        "environments": [] if fleet is None else list(fleet.environments),
        "running": environments.names(),
        "alarms": alarms,
        "maintenance": [window.to_json() for window in maintenance_status(store, environment=name, now=now)],
        "lock": None if lock is None or lock.expired(now) else lock.to_json(),
        "blocks": [block.to_json() for block in store.maintenance.blocks([name, scope_of(None)])],
    }
    answer: dict[str, Any] = redactor.value(view)
    return answer


def deployments_view(app: FastAPI) -> dict[str, Any]:
    """The newest executions of the deploy and rollback runbooks (as ``GET /executions``)."""
    deployments: Deployments = app.state.deployments
    redactor: Redactor = app.state.redactor
    engine = deployments.executions.engine
    records = [
        record
        for runbook in RUNBOOKS
        for record in deployments.store.executions.list(
            engine.state_machine_arn(machine_name(runbook)), limit=DEPLOYMENTS_LISTED
        )
    ]
    records.sort(key=lambda r: r.start_date, reverse=True)
    answer: dict[str, Any] = redactor.value(
        {"executions": [describe(record) for record in records[:DEPLOYMENTS_LISTED]]}
    )
    return answer


def deployment_view(app: FastAPI, execution: str) -> dict[str, Any]:
    """One execution: its progress (as ``GET /deployments/{name}``), its events (as ``GET
    /executions/{name}/history``) and its state machine laid out with each state's status."""
    deployments: Deployments = app.state.deployments
    redactor: Redactor = app.state.redactor
    arn = deployments.execution_arn(execution)
    record = deployments.executions.describe_execution(arn)
    progress = deployments.progress(arn)
    events = deployments.executions.history(arn)
    definition = json.loads(record.definition)
    statuses = state_statuses(events, set(definition.get("States", {})))
    view = {
        **progress,
        "runbook": "rollback" if record.state_machine_arn.endswith(machine_name("rollback")) else "deploy",
        # The newest only: a long deployment polls through thousands of Wait events, and the
        # view is sent again on every change (GET /executions/NAME/history has them all).
        "events": [
            {**event.to_aws(), "timestamp": event.timestamp.isoformat()} for event in events[-EVENTS_SHOWN:]
        ],
        "events_total": len(events),
        "graph": layout(definition, statuses).to_json(),
    }
    answer: dict[str, Any] = redactor.value(view)
    return answer
