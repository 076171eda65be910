"""``GET /api/v1/events``: a view as server-sent events (the live updates are covered in a real
browser by tests/server/ui/test_dashboard.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from fleetops.server.auth import Role
from fleetops.server.ui.snapshots import EVENTS_SHOWN
from fleetops.testing.api import ApiHarness, api_harness
from fleetops.testing.sfn import ROLE_ARN, sfn_harness
from fleetops.testing.waiting import wait_until


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with api_harness(tmp_path_factory.mktemp("events")) as harness:
        yield harness


def test_the_first_view_is_sent_at_once(api: ApiHarness) -> None:
    with api.client(Role.VIEWER) as client:
        response = client.get("/api/v1/events", params={"view": "deployments", "seconds": 0})
    assert (response.status_code, response.headers["content-type"], response.headers["cache-control"]) == (
        200,
        "text/event-stream; charset=utf-8",
        "no-store",
    )
    assert response.text == 'event: snapshot\ndata: {"executions":[]}\n\n'


def test_a_deployment_view_needs_an_execution(api: ApiHarness) -> None:
    with api.client(Role.VIEWER) as client:
        response = client.get("/api/v1/events", params={"view": "deployment"})
    assert (response.status_code, response.json()["message"]) == (400, "view=deployment needs execution=NAME")


def test_an_unknown_execution_is_refused_as_get_deployment_refuses_it(api: ApiHarness) -> None:
    with api.client(Role.VIEWER) as client:
        params = {"view": "deployment", "execution": "deploy-dev-nope"}
        streamed = client.get("/api/v1/events", params=params)
        direct = client.get("/api/v1/deployments/deploy-dev-nope")
    assert (streamed.status_code, streamed.json()) == (400, direct.json())
    assert direct.json()["message"].startswith("Execution Does Not Exist: ")


def test_the_fleet_view_without_a_fleet_is_a_conflict(api: ApiHarness) -> None:
    with api.client(Role.VIEWER) as client:
        response = client.get("/api/v1/events", params={"view": "fleet"})
    assert (response.status_code, response.json()["message"]) == (
        409,
        "this server runs no fleet: start it with `fleetops up` or `fleetops server --fleet FILE`",
    )


LOOP = {
    "QueryLanguage": "JSONata",
    "StartAt": "Count",
    "States": {
        "Count": {"Type": "Pass", "Output": "{% $states.input + 1 %}", "Next": "More"},
        "More": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $states.input < 150 %}", "Next": "Count"}],
            "Default": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def test_a_long_history_sends_its_newest_events_and_every_state_status(api: ApiHarness) -> None:
    with sfn_harness(api) as sfn:
        machine = sfn.admin.create_state_machine(name="loop", definition=json.dumps(LOOP), roleArn=ROLE_ARN)
        arn = sfn.admin.start_execution(stateMachineArn=machine["stateMachineArn"], input="0")["executionArn"]
        wait_until(lambda: sfn.admin.describe_execution(executionArn=arn)["status"] == "SUCCEEDED")
        with httpx.Client(
            base_url=sfn.url, headers={"Authorization": f"Bearer {api.tokens[Role.VIEWER]}"}
        ) as client:
            response = client.get(
                "/api/v1/events", params={"view": "deployment", "execution": arn, "seconds": 0}
            )
    assert response.status_code == 200
    kind, data = response.text.removesuffix("\n\n").split("\n")
    view = json.loads(data.removeprefix("data: "))
    # ExecutionStarted, 4 events per loop turn (150), 2 for Done, ExecutionSucceeded.
    assert (kind, view["events_total"], len(view["events"]), view["events"][-1]["id"]) == (
        "event: snapshot",
        604,
        EVENTS_SHOWN,
        604,
    )
    assert {node["name"]: node["status"] for node in view["graph"]["nodes"]} == {
        "Count": "succeeded",
        "More": "succeeded",
        "Done": "succeeded",
    }
