"""Who a deployment is credited to, and who may approve it.

The identity that starts a runbook, creates its releases and holds its lock is the caller's
token, never a value of the input (``requested_by`` sent to ``fleetops-deploy`` through the Step
Functions endpoint is ignored). A deployment into an ``approval: required`` environment is
approved by another identity than the one that started it, unless the environment says
``self_approval: true``; its approval token cannot be sent to SendTaskSuccess to skip the check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from fleetops.control.deployments import Deployments, definition_text, machine_name
from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet_text
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.sfn import SfnHarness, sfn_harness
from fleetops.testing.waiting import wait_until

FLEET = """
name: shop
environments:
  dev: {provider: local, approval: required SELF}
services:
  menu:
    run: {command: "{python} menu.py"}
"""


def _serve(api: ApiHarness, *, self_approval: bool = False) -> Deployments:
    text = FLEET.replace(" SELF", ", self_approval: true" if self_approval else "")
    environments = in_memory_environments(load_fleet_text(text), "dev")
    deployments = Deployments(api.app.state.executions, api.store, environments)
    deployments.register()
    api.app.state.environments = environments
    api.app.state.deployments = deployments
    return deployments


@pytest.fixture
def served(api: ApiHarness) -> Iterator[tuple[SfnHarness, Deployments]]:
    deployments = _serve(api)
    with sfn_harness(api) as harness:
        yield harness, deployments


class _Client:
    """Requests to the served app as ``role`` (its executions run on the server's event loop)."""

    def __init__(self, harness: SfnHarness, role: Role) -> None:
        self.url = harness.url
        self.headers = {"Authorization": f"Bearer {harness.api.tokens[role]}"}

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, headers=self.headers, timeout=30)

    def post(self, path: str, json: dict[str, Any]) -> httpx.Response:
        return httpx.post(self.url + path, headers=self.headers, json=json, timeout=30)


def _client(harness: SfnHarness, role: Role) -> _Client:
    return _Client(harness, role)


def _waiting_for_approval(harness: SfnHarness, execution: str) -> dict[str, Any]:
    client = _client(harness, Role.VIEWER)
    progress: dict[str, Any] = {}

    def waiting() -> bool:
        progress.update(client.get(f"/api/v1/deployments/{execution}").json())
        return bool(progress.get("waiting_for_approval"))

    wait_until(waiting, what=f"{execution} waiting for approval")
    return progress


def _deploy(harness: SfnHarness) -> str:
    response = _client(harness, Role.OPERATOR).post(
        "/api/v1/deployments", json={"environment": "dev", "version": "v2"}
    )
    assert response.status_code == 201, response.text
    execution = str(response.json()["execution"])
    _waiting_for_approval(harness, execution)
    return execution


def test_requested_by_in_the_input_is_not_who_the_deployment_is_credited_to(
    served: tuple[SfnHarness, Deployments],
) -> None:
    harness, deployments = served
    api = harness.api
    machine = deployments.executions.machines.ensure(machine_name("deploy"), definition_text("deploy"))
    started = harness.clients[Role.OPERATOR].start_execution(
        stateMachineArn=machine.arn,
        name="spoofed",
        input=json.dumps({"environment": "dev", "version": "v2", "requested_by": "alice-the-admin"}),
    )
    progress = _waiting_for_approval(harness, "spoofed")

    lock = api.store.locks.get("dev")
    assert lock is not None
    assert (lock.owner, lock.reason) == ("spoofed", "deploy v2 by operator")
    assert [
        (r.service, r.version, r.created_by) for r in api.store.releases.list(execution_id="spoofed")
    ] == [("menu", "v2", "operator")]
    assert api.store.executions.get(started["executionArn"]).started_by == "operator"
    assert progress["execution"] == "spoofed"


def test_an_operator_cannot_approve_their_own_deployment(served: tuple[SfnHarness, Deployments]) -> None:
    harness = served[0]
    execution = _deploy(harness)

    own = _client(harness, Role.OPERATOR).post(
        f"/api/v1/executions/{execution}/approval", json={"approve": True}
    )

    assert (own.status_code, own.json()["error"]) == (403, "forbidden")
    assert own.json()["message"] == (
        f"'operator' started deployment {execution} and cannot approve it: environment 'dev' needs the "
        "approval of another identity (or `self_approval: true` on the environment in the fleet file); "
        "rejecting it is allowed"
    )
    assert _waiting_for_approval(harness, execution)["status"] == "RUNNING"
    other = _client(harness, Role.ADMIN).post(
        f"/api/v1/executions/{execution}/approval", json={"approve": True}
    )
    assert (other.status_code, other.json()["by"]) == (200, "admin")


def test_an_operator_may_reject_their_own_deployment(served: tuple[SfnHarness, Deployments]) -> None:
    harness = served[0]
    execution = _deploy(harness)
    client = _client(harness, Role.OPERATOR)

    rejected = client.post(
        f"/api/v1/executions/{execution}/approval", json={"approve": False, "reason": "oops"}
    )

    assert (rejected.status_code, rejected.json()["approved"]) == (200, False)
    wait_until(lambda: client.get(f"/api/v1/executions/{execution}").json()["status"] == "FAILED")


def test_self_approval_is_allowed_where_the_environment_says_so(api: ApiHarness) -> None:
    _serve(api, self_approval=True)
    with sfn_harness(api) as harness:
        execution = _deploy(harness)

        own = _client(harness, Role.OPERATOR).post(
            f"/api/v1/executions/{execution}/approval", json={"approve": True}
        )

        assert (own.status_code, own.json()["by"]) == (200, "operator")


def test_the_approval_token_cannot_be_sent_to_send_task_success(
    served: tuple[SfnHarness, Deployments],
) -> None:
    harness, _deployments = served
    execution = _deploy(harness)
    history = _client(harness, Role.VIEWER).get(f"/api/v1/executions/{execution}/history").json()["events"]
    scheduled = [
        e
        for e in history
        if e["type"] == "TaskScheduled" and "approval" in e["taskScheduledEventDetails"]["resource"]
    ]
    token = json.loads(scheduled[0]["taskScheduledEventDetails"]["parameters"])["token"]

    for call in (
        lambda: harness.clients[Role.OPERATOR].send_task_success(taskToken=token, output="{}"),
        lambda: harness.clients[Role.OPERATOR].send_task_failure(taskToken=token, error="x"),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
        assert refused.value.response["Error"]["Message"] == (
            f"this task token is the approval gate of deployment {execution}: approve or reject it with "
            f"`fleetops approve {execution}` (POST /api/v1/executions/{execution}/approval), which checks "
            "who approves"
        )
    assert _waiting_for_approval(harness, execution)["status"] == "RUNNING"
