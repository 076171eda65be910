"""An exported runbook's Step Functions history read as the engine's (activities as their tasks)."""

import json
from datetime import UTC, datetime

from fleetops.control.deployments import deployment_plan, steps_of
from fleetops.control.sfn_history import as_local_history
from fleetops.runbooks.activities import ActivityNames

NAMES = ActivityNames("restaurant", "dev")
ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:fleetops-restaurant-dev-deploy-initialize"
OTHER = "arn:aws:states:us-east-1:123456789012:activity:fleetops-restaurant-prod-deploy-initialize"
AT = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
PLAN = {"environment": "dev", "execution": "deploy-dev-1", "waves": []}


def _event(id_: int, previous: int, kind: str, **details: object) -> dict[str, object]:
    key = {"TaskStateEntered": "stateEnteredEventDetails", "TaskStateExited": "stateExitedEventDetails"}.get(
        kind, kind[0].lower() + kind[1:] + "EventDetails"
    )
    return {"id": id_, "previousEventId": previous, "timestamp": AT, "type": kind, key: details}


def _task() -> str:
    return json.dumps({"payload": {"environment": "dev"}, "context": {"handler": "deploy-initialize"}})


EVENTS = [
    _event(1, 0, "ExecutionStarted", input="{}"),
    _event(2, 1, "TaskStateEntered", name="Initialize", input="{}"),
    _event(3, 2, "ActivityScheduled", resource=ACTIVITY, input=_task(), heartbeatInSeconds=60),
    _event(4, 3, "ActivityStarted", workerName="w1"),
    _event(5, 4, "ActivitySucceeded", output=json.dumps(PLAN)),
    _event(6, 5, "TaskStateExited", name="Initialize", output="{}"),
]


def test_the_environments_activities_read_as_the_tasks_of_their_handlers() -> None:
    events = as_local_history(EVENTS, NAMES)
    assert [(e.type, e.scope) for e in events] == [
        ("ExecutionStarted", ""),
        ("TaskStateEntered", ""),
        ("TaskScheduled", "3"),
        ("TaskStarted", "3"),
        ("TaskSucceeded", "3"),
        ("TaskStateExited", ""),
    ]
    assert events[2].details == {
        "resource": "deploy-initialize",
        "resourceType": "fleetops",
        "parameters": '{"environment": "dev"}',
    }
    assert deployment_plan(events) == PLAN
    assert [(s["state"], s["status"]) for s in steps_of(events)] == [("Initialize", "done")]


def test_another_environments_activity_is_left_as_recorded() -> None:
    other = [
        {**e, "activityScheduledEventDetails": {"resource": OTHER, "input": _task()}} for e in EVENTS[2:3]
    ]
    events = as_local_history(EVENTS[:2] + other + EVENTS[3:], NAMES)
    assert [e.type for e in events[2:5]] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
    assert deployment_plan(events) is None


def test_without_names_every_event_is_kept_as_aws_recorded_it() -> None:
    events = as_local_history(EVENTS, None)
    assert [e.to_aws() for e in events] == EVENTS
