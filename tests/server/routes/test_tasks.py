"""``POST /api/v1/tasks/run``: a worker's task handler run in the control plane."""

from __future__ import annotations

from fleetops.engine import TaskContext, TaskFailure
from fleetops.server.roles import Role
from fleetops.testing.api import ApiHarness

CONTEXT = {"execution_arn": "arn:aws:states:us-east-1:123456789012:execution:m:e", "state": "S", "attempt": 1}


def test_a_handler_runs_and_answers_its_output_or_its_error(api: ApiHarness) -> None:
    seen: list[TaskContext] = []

    def echo(payload: object, context: TaskContext) -> object:
        seen.append(context)
        return {"got": payload}

    def refuse(_payload: object) -> object:
        raise TaskFailure("fleetops.Refused", "the lock is held")

    api.app.state.executions.registry.register("fleetops:echo", echo)
    api.app.state.executions.registry.register("fleetops:refuse", refuse)
    with api.client(Role.ADMIN) as client:
        ran = client.post(
            "/api/v1/tasks/run", json={"resource": "fleetops:echo", "payload": [1], "context": CONTEXT}
        )
        failed = client.post("/api/v1/tasks/run", json={"resource": "fleetops:refuse", "context": CONTEXT})
        unknown = client.post("/api/v1/tasks/run", json={"resource": "fleetops:nope", "context": CONTEXT})
    assert (ran.status_code, ran.json()) == (200, {"output": {"got": [1]}})
    assert [(c.execution_arn, c.state_name, c.attempt) for c in seen] == [(CONTEXT["execution_arn"], "S", 1)]
    assert (failed.status_code, failed.json()) == (
        200,
        {"error": "fleetops.Refused", "cause": "the lock is held"},
    )
    assert unknown.status_code == 400
    assert "no handler is registered here for 'fleetops:nope'" in unknown.text
