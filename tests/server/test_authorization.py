"""Every API route, the least role it needs, and proof that it is enforced.

A route missing from ``ROUTES`` fails ``test_every_route_is_in_the_table``: add it with its
minimum role (``None`` for public) and a request that succeeds with that role.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import update

from fleetops.control.deployments import Deployments
from fleetops.ops.alarms import AlarmMonitor
from fleetops.ops.locks import force_release_lock
from fleetops.runbooks.ports import RolloutRequest
from fleetops.server.auth import Role
from fleetops.server.sfn import ACTIONS
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet
from fleetops.store.execution_archive import import_executions
from fleetops.store.tables import incidents, maintenance_schedules
from fleetops.testing.api import ApiHarness, api_harness
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime, in_memory_environments
from fleetops.testing.local import EXAMPLES
from fleetops.testing.waiting import wait_until


@dataclass(frozen=True)
class Case:
    """A route, the least role it needs, and a concrete request that succeeds with that role."""

    method: str
    path: str
    role: Role | None
    url: str = ""
    json: dict[str, Any] | None = None
    ok: int = 200
    setup: tuple[str, ...] = field(default=())  # names of tokens (role viewer) to create first
    prepare: Callable[[ApiHarness], object] | None = None  # puts in place what the request acts on
    action: str | None = None  # a Step Functions action (X-Amz-Target) on POST /
    sfn_body: Callable[[Admin], dict[str, Any]] | None = None  # makes its body, as admin, first

    @property
    def changes_state(self) -> bool:
        """Whether the request, admitted, changes what the app holds: a read does not, nor does
        input refused as bad (``ok`` 4xx: bad input changes nothing)."""
        if self.ok >= 400:
            return False
        if self.action is not None:
            return not self.action.startswith(_READ_ACTIONS)
        return self.method != "GET"

    @property
    def target(self) -> str:
        return self.url or self.path

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" {self.action}" if self.action else "")


class Admin:
    """Step Functions calls made as admin on a started app, to set up what a case acts on."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.token = token

    def __call__(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/", json=body, headers=_sfn_headers(action, self.token))
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


_READ_ACTIONS = ("Describe", "List", "GetExecutionHistory", "Validate")
"""The Step Functions actions that only read (GetActivityTask takes a task: it changes state)."""


def _sfn_headers(action: str, token: str | None) -> dict[str, str]:
    headers = {"X-Amz-Target": f"AWSStepFunctions.{action}", "Content-Type": "application/x-amz-json-1.0"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


ROLE_ARN = "arn:aws:iam::123456789012:role/fleetops"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:m:e"
ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:act"
WAITING = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
PASSING = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
WORKING = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": ACTIVITY, "End": True}}}


def _machine(admin: Admin, name: str = "m", definition: dict[str, Any] = WAITING) -> str:
    body = {"name": name, "definition": json.dumps(definition), "roleArn": ROLE_ARN}
    return str(admin("CreateStateMachine", body)["stateMachineArn"])


def _execution(admin: Admin) -> str:
    return str(admin("StartExecution", {"stateMachineArn": _machine(admin), "name": "e"})["executionArn"])


DISTRIBUTED = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                **WAITING,
            },
            "End": True,
        }
    },
}


def _map_run(admin: Admin) -> str:
    """A Map Run in progress (its one iteration waits an hour)."""
    machine = _machine(admin, "dm", DISTRIBUTED)
    arn = admin("StartExecution", {"stateMachineArn": machine, "input": '{"items": [1]}'})["executionArn"]
    runs = wait_until(lambda: admin("ListMapRuns", {"executionArn": arn})["mapRuns"])
    return str(runs[0]["mapRunArn"])


def _activity_work(admin: Admin) -> None:
    admin("CreateActivity", {"name": "act"})
    admin("StartExecution", {"stateMachineArn": _machine(admin, "w", WORKING)})


def _task_token(admin: Admin) -> str:
    _activity_work(admin)
    return str(admin("GetActivityTask", {"activityArn": ACTIVITY})["taskToken"])


def _version(admin: Admin) -> str:
    return str(
        admin("PublishStateMachineVersion", {"stateMachineArn": _machine(admin)})["stateMachineVersionArn"]
    )


def _alias(admin: Admin) -> str:
    body = {
        "name": "live",
        "routingConfiguration": [{"stateMachineVersionArn": _version(admin), "weight": 100}],
    }
    return str(admin("CreateStateMachineAlias", body)["stateMachineAliasArn"])


def _failed_execution(admin: Admin) -> str:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}
    arn = str(admin("StartExecution", {"stateMachineArn": _machine(admin, "f", failing)})["executionArn"])
    wait_until(lambda: admin("DescribeExecution", {"executionArn": arn})["status"] == "FAILED")
    return arn


def _sfn(action: str, role: Role, prepare: Callable[[Admin], dict[str, Any]]) -> Case:
    return Case("POST", "/", role, action=action, sfn_body=prepare)


SFN_ACTIONS = [
    _sfn(
        "CreateStateMachine",
        Role.ADMIN,
        lambda _a: {"name": "n", "definition": json.dumps(WAITING), "roleArn": ROLE_ARN},
    ),
    _sfn(
        "UpdateStateMachine",
        Role.ADMIN,
        lambda a: {"stateMachineArn": _machine(a), "definition": json.dumps(WAITING)},
    ),
    _sfn("DescribeStateMachine", Role.VIEWER, lambda a: {"stateMachineArn": _machine(a)}),
    _sfn("ListStateMachines", Role.VIEWER, lambda _a: {}),
    _sfn("DeleteStateMachine", Role.ADMIN, lambda a: {"stateMachineArn": _machine(a)}),
    _sfn("StartExecution", Role.OPERATOR, lambda a: {"stateMachineArn": _machine(a)}),
    _sfn("StopExecution", Role.OPERATOR, lambda a: {"executionArn": _execution(a)}),
    _sfn("DescribeExecution", Role.VIEWER, lambda a: {"executionArn": _execution(a)}),
    _sfn("ListExecutions", Role.VIEWER, lambda a: {"stateMachineArn": _machine(a)}),
    _sfn("GetExecutionHistory", Role.VIEWER, lambda a: {"executionArn": _execution(a)}),
    _sfn("SendTaskSuccess", Role.OPERATOR, lambda a: {"taskToken": _task_token(a), "output": "{}"}),
    _sfn("SendTaskFailure", Role.OPERATOR, lambda a: {"taskToken": _task_token(a), "error": "E"}),
    _sfn("SendTaskHeartbeat", Role.OPERATOR, lambda a: {"taskToken": _task_token(a)}),
    _sfn("CreateActivity", Role.ADMIN, lambda _a: {"name": "act"}),
    _sfn("ListActivities", Role.VIEWER, lambda _a: {}),
    _sfn(
        "DescribeActivity",
        Role.VIEWER,
        lambda a: {"activityArn": a("CreateActivity", {"name": "d"})["activityArn"]},
    ),
    _sfn("DescribeStateMachineForExecution", Role.VIEWER, lambda a: {"executionArn": _execution(a)}),
    _sfn(
        "DeleteActivity",
        Role.ADMIN,
        lambda a: {"activityArn": a("CreateActivity", {"name": "x"})["activityArn"]},
    ),
    _sfn("GetActivityTask", Role.OPERATOR, lambda a: (_activity_work(a), {"activityArn": ACTIVITY})[1]),
    _sfn(
        "TagResource",
        Role.OPERATOR,
        lambda a: {"resourceArn": _machine(a), "tags": [{"key": "Status", "value": "ok"}]},
    ),
    _sfn("UntagResource", Role.OPERATOR, lambda a: {"resourceArn": _machine(a), "tagKeys": ["Status"]}),
    _sfn("ListTagsForResource", Role.VIEWER, lambda a: {"resourceArn": _machine(a)}),
    _sfn("ValidateStateMachineDefinition", Role.VIEWER, lambda _a: {"definition": json.dumps(WAITING)}),
    _sfn("StartSyncExecution", Role.OPERATOR, lambda a: {"stateMachineArn": _machine(a, "s", PASSING)}),
    _sfn("PublishStateMachineVersion", Role.ADMIN, lambda a: {"stateMachineArn": _machine(a)}),
    _sfn("ListStateMachineVersions", Role.VIEWER, lambda a: {"stateMachineArn": _machine(a)}),
    _sfn("DeleteStateMachineVersion", Role.ADMIN, lambda a: {"stateMachineVersionArn": _version(a)}),
    _sfn(
        "CreateStateMachineAlias",
        Role.ADMIN,
        lambda a: {
            "name": "live",
            "routingConfiguration": [{"stateMachineVersionArn": _version(a), "weight": 100}],
        },
    ),
    _sfn("DescribeStateMachineAlias", Role.VIEWER, lambda a: {"stateMachineAliasArn": _alias(a)}),
    _sfn(
        "UpdateStateMachineAlias",
        Role.ADMIN,
        lambda a: {"stateMachineAliasArn": _alias(a), "description": "moved"},
    ),
    _sfn("DeleteStateMachineAlias", Role.ADMIN, lambda a: {"stateMachineAliasArn": _alias(a)}),
    _sfn("ListStateMachineAliases", Role.VIEWER, lambda a: {"stateMachineArn": _machine(a)}),
    _sfn("RedriveExecution", Role.OPERATOR, lambda a: {"executionArn": _failed_execution(a)}),
    _sfn("ListMapRuns", Role.VIEWER, lambda a: {"executionArn": _execution(a)}),
    _sfn("DescribeMapRun", Role.VIEWER, lambda a: {"mapRunArn": _map_run(a)}),
    _sfn("UpdateMapRun", Role.OPERATOR, lambda a: {"mapRunArn": _map_run(a), "maxConcurrency": 2}),
]


def _lock_prod(api: ApiHarness) -> object:
    return api.store.locks.acquire("prod", owner="exec-1", reason="deploy", lease=timedelta(minutes=5))


@functools.cache
def _example_fleet() -> Fleet:
    """The example fleet, read once (~0.04 s of CPU a read): a fleet is frozen."""
    return load_fleet(EXAMPLES / "fleet.yaml")


def _fleet(api: ApiHarness) -> InMemoryFleetRuntime:
    """The in-memory example fleet's dev, running alone (a request naming no environment reads it)."""
    runtime = api.app.state.environments.get("dev")
    if not isinstance(runtime, InMemoryFleetRuntime):
        environments = in_memory_environments(_example_fleet(), "dev")
        runtime = environments.get("dev")
        assert isinstance(runtime, InMemoryFleetRuntime)
        runtime.hold = True
        api.app.state.environments = environments
    if "stage" in api.app.state.environments.names():  # an earlier case's (_stage_too) on a shared app
        api.app.state.environments.remove("stage")
    return runtime


def _secret(api: ApiHarness) -> object:
    _fleet(api)
    if not api.store.secrets.versions("dev", "payments-api-key"):
        api.app.state.secrets.put("dev", "payments-api-key", "authz-value-1234", by="test")
    return api.store.secrets.versions("dev", "payments-api-key")


def _stage_too(api: ApiHarness) -> object:
    _fleet(api)
    return api.app.state.environments.add("stage", "v1")


def _alarms(api: ApiHarness) -> object:
    # The in-memory runtime has no alarm monitor: give it one with no metrics source.
    runtime = _fleet(api)
    monitor = AlarmMonitor(runtime.fleet, "dev", ["menu"], metrics=None)
    runtime.alarms = monitor  # type: ignore[attr-defined]
    return monitor


def _held_rollout(api: ApiHarness) -> object:
    runtime = _fleet(api)
    runtime.rollouts.pop("r-1", None)
    runtime.start_rollout(RolloutRequest("r-1", "dev", "menu", "v2", 1))
    return runtime


def _schedule(api: ApiHarness) -> object:
    """Schedule 1, active (the case's URL names it)."""
    found = api.store.maintenance_schedules.get(1)
    if found is None:
        api.store.maintenance_schedules.add(
            scope="*",
            cron="0 2 * * SUN",
            duration=timedelta(hours=2),
            reason="r",
            by="t",
            now=datetime.now(UTC),
        )
    elif found.cancelled_at is not None:
        with api.store.transaction() as session:
            session.execute(update(maintenance_schedules).values(cancelled_at=None))
    return None


def _incident(api: ApiHarness) -> object:
    """Incident 1, open (the case's URL names it)."""
    _fleet(api)
    found = api.store.incidents.get(1)
    if found is None:
        api.store.incidents.open(
            environment="dev",
            severity="SEV4",
            title="t",
            description=None,
            status="investigating",
            message="m",
            eta_at=None,
            by="t",
            now=datetime.now(UTC),
        )
    elif found.resolved:
        with api.store.transaction() as session:
            session.execute(update(incidents).values(resolved_at=None, status="investigating"))
    return None


def _runbooks(api: ApiHarness) -> Deployments:
    _fleet(api)
    deployments = Deployments(api.app.state.executions, api.store, api.app.state.environments)
    deployments.register()
    api.app.state.deployments = deployments
    return deployments


def _rotatable(api: ApiHarness) -> object:
    """The runbooks with the secrets store, a secret to rotate, and no lock held (a rotation
    started by the previous role's request holds it)."""
    _secret(api)
    deployments = Deployments(
        api.app.state.executions, api.store, api.app.state.environments, secrets=api.app.state.secrets
    )
    deployments.register()
    api.app.state.deployments = deployments
    for lock in api.store.locks.list():
        force_release_lock(api.store, lock.environment)
    return deployments


def _verified_in_stage(api: ApiHarness) -> object:
    _runbooks(api)
    release = api.store.releases.pin(
        environment="stage",
        service="menu",
        version="v2",
        config={},
        secret_versions={},
        execution_id="deploy-stage-1",
        created_by="test",
    )
    return api.store.releases.mark_verified("stage", "menu", release.number)


FINISHED = "deploy-dev-20261122T090000-0000"
SECRET = "/api/v1/secrets/payments-api-key"


def _export(name: str = FINISHED) -> dict[str, Any]:
    arn = f"arn:aws:states:us-east-1:123456789012:execution:fleetops-deploy:{name}"
    started = {
        "id": 1,
        "previous_event_id": 0,
        "type": "ExecutionStarted",
        "timestamp": "2026-11-22T09:00:00+00:00",
    }
    return {
        "format": "fleetops.executions/1",
        "executions": [
            {
                "arn": arn,
                "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:fleetops-deploy",
                "name": name,
                "status": "SUCCEEDED",
                "definition": "{}",
                "input": "{}",
                "output": "{}",
                "start_date": "2026-11-22T09:00:00+00:00",
                "stop_date": "2026-11-22T09:01:00+00:00",
                "events": [{**started, "details": {"input": "{}"}, "scope": "", "meta": {}}],
            }
        ],
    }


def _finished(api: ApiHarness) -> object:
    return import_executions(api.store, _export())


ROUTES = [
    Case("GET", "/api/v1/health", None),
    Case("GET", "/api/v1/openapi.json", None),
    Case("GET", "/api/v1/docs", None),
    Case("GET", "/api/v1/whoami", Role.VIEWER),
    Case("GET", "/api/v1/audit", Role.ADMIN),
    Case("GET", "/api/v1/tokens", Role.ADMIN),
    Case("POST", "/api/v1/tokens", Role.ADMIN, json={"name": "new", "role": "viewer"}, ok=201),
    Case("DELETE", "/api/v1/tokens/{name}", Role.ADMIN, url="/api/v1/tokens/victim", setup=("victim",)),
    Case(
        "POST",
        "/api/v1/tokens/{name}/rotate",
        Role.ADMIN,
        url="/api/v1/tokens/rotated/rotate",
        json={"grace": "1m"},
        setup=("rotated",),
    ),
    Case("GET", "/api/v1/security/audit", Role.ADMIN, prepare=_fleet),
    Case("GET", "/api/v1/releases", Role.VIEWER),
    Case("GET", "/api/v1/backups", Role.VIEWER),
    # Admitted, then refused as input (the in-memory fleet runs no datastore servers).
    Case("POST", "/api/v1/backups", Role.OPERATOR, json={"datastore": "nope"}, ok=400, prepare=_fleet),
    Case(
        "POST",
        "/api/v1/backups/{backup_id}/verify",
        Role.OPERATOR,
        url="/api/v1/backups/bk-none/verify",
        ok=400,
    ),
    Case(
        "POST",
        "/api/v1/restores",
        Role.OPERATOR,
        json={"datastore": "nope", "backup_id": "bk-none"},
        ok=400,
        prepare=_fleet,
    ),
    Case("GET", "/api/v1/drills", Role.VIEWER),
    Case("GET", "/api/v1/drills/{name}", Role.VIEWER, url="/api/v1/drills/drill-none", ok=400),
    # Admitted, then refused as input: datastore-loss destroys data, and it was not confirmed.
    Case(
        "POST", "/api/v1/drills", Role.OPERATOR, json={"scenario": "datastore-loss"}, ok=400, prepare=_fleet
    ),
    Case("GET", "/api/v1/locks", Role.VIEWER),
    Case("GET", "/api/v1/locks/{environment}", Role.VIEWER, url="/api/v1/locks/prod", prepare=_lock_prod),
    Case("DELETE", "/api/v1/locks/{environment}", Role.ADMIN, url="/api/v1/locks/prod", prepare=_lock_prod),
    Case("GET", "/api/v1/maintenance", Role.VIEWER),
    Case("POST", "/api/v1/maintenance", Role.OPERATOR, json={"duration": "1h", "reason": "upgrade"}, ok=201),
    Case("DELETE", "/api/v1/maintenance", Role.OPERATOR),
    Case("GET", "/api/v1/maintenance/schedules", Role.VIEWER),
    Case(
        "POST",
        "/api/v1/maintenance/schedules",
        Role.OPERATOR,
        json={"cron": "0 2 * * SUN", "duration": "2h"},
        ok=201,
    ),
    Case(
        "DELETE",
        "/api/v1/maintenance/schedules/{schedule_id}",
        Role.OPERATOR,
        url="/api/v1/maintenance/schedules/1",
        prepare=_schedule,
    ),
    Case("GET", "/api/v1/blocks", Role.VIEWER),
    Case("POST", "/api/v1/block", Role.OPERATOR, json={"services": ["orders"]}),
    Case("POST", "/api/v1/unblock", Role.OPERATOR, json={"services": ["orders"]}),
    Case("GET", "/api/v1/notifications", Role.VIEWER),
    Case("GET", "/api/v1/incidents", Role.VIEWER),
    Case("GET", "/api/v1/incidents/{incident_id}", Role.VIEWER, url="/api/v1/incidents/1", prepare=_incident),
    Case(
        "POST",
        "/api/v1/incidents",
        Role.OPERATOR,
        json={"severity": "SEV4", "title": "t"},
        ok=201,
        prepare=_fleet,
    ),
    Case(
        "POST",
        "/api/v1/incidents/{incident_id}/updates",
        Role.OPERATOR,
        url="/api/v1/incidents/1/updates",
        json={"message": "m"},
        ok=201,
        prepare=_incident,
    ),
    Case(
        "POST",
        "/api/v1/incidents/{incident_id}/resolve",
        Role.OPERATOR,
        url="/api/v1/incidents/1/resolve",
        json={"summary": "s"},
        prepare=_incident,
    ),
    Case(
        "POST",
        "/api/v1/notifications/announce",
        Role.OPERATOR,
        json={"level": "info", "message": "hello"},
        prepare=_fleet,
    ),
    Case(
        "POST",
        "/api/v1/deployments",
        Role.OPERATOR,
        json={"environment": "dev", "version": "v2", "services": ["menu"]},
        ok=201,
        prepare=_runbooks,
    ),
    Case(
        "GET",
        "/api/v1/deployments/{execution}",
        Role.VIEWER,
        url=f"/api/v1/deployments/{FINISHED}",
        prepare=_finished,
    ),
    Case("POST", "/api/v1/rollbacks", Role.OPERATOR, json={"environment": "dev"}, ok=201, prepare=_runbooks),
    Case(
        "POST",
        "/api/v1/promotions",
        Role.OPERATOR,
        json={"source": "stage", "target": "dev"},
        ok=201,
        prepare=_verified_in_stage,
    ),
    # Admitted, then refused as input: the finished execution waits for no approval.
    Case(
        "POST",
        "/api/v1/executions/{execution}/approval",
        Role.OPERATOR,
        url=f"/api/v1/executions/{FINISHED}/approval",
        json={"approve": True},
        ok=400,
        prepare=_finished,
    ),
    Case(
        "POST",
        "/api/v1/executions/{execution}/stop",
        Role.OPERATOR,
        url=f"/api/v1/executions/{FINISHED}/stop",
        ok=400,  # admitted, then refused as input: a finished execution is not stopped
        prepare=_finished,
    ),
    Case("POST", "/api/v1/executions/stop-all", Role.OPERATOR),
    Case("GET", "/api/v1/executions", Role.VIEWER),
    Case("GET", "/api/v1/executions/export", Role.VIEWER),
    Case("POST", "/api/v1/executions/import", Role.ADMIN, json=_export("deploy-dev-imported")),
    Case("POST", "/api/v1/executions/cleanup", Role.ADMIN, json={"keep": 10}),
    Case(
        "GET",
        "/api/v1/executions/{execution}",
        Role.VIEWER,
        url=f"/api/v1/executions/{FINISHED}",
        prepare=_finished,
    ),
    Case(
        "GET",
        "/api/v1/executions/{execution}/history",
        Role.VIEWER,
        url=f"/api/v1/executions/{FINISHED}/history",
        prepare=_finished,
    ),
    *SFN_ACTIONS,
    # The AWS protocols' own operations have their table in tests/awsapi/test_authorization.py.
    Case(
        "POST",
        "/service/{target}/operation/{name}",
        Role.VIEWER,
        url="/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
    ),
    Case("GET", "/api/v1/environments", Role.VIEWER, prepare=_fleet),
    Case("POST", "/api/v1/environments", Role.ADMIN, json={"environment": "stage"}, ok=201, prepare=_fleet),
    Case(
        "DELETE",
        "/api/v1/environments/{environment}",
        Role.ADMIN,
        url="/api/v1/environments/stage",
        prepare=_stage_too,
    ),
    Case("GET", "/api/v1/fleet", Role.VIEWER, prepare=_fleet),
    Case("GET", "/api/v1/events", Role.VIEWER, url="/api/v1/events?view=fleet&seconds=0", prepare=_fleet),
    # The dashboard's page shells: public (they hold no data; app.js reads the API with a token).
    Case("GET", "/ui", None),  # a redirect to /ui/fleet, followed
    Case("GET", "/ui/", None),
    Case("GET", "/ui/signin", None),
    Case("GET", "/ui/{page}", None, url="/ui/fleet"),
    Case("GET", "/ui/deployments/{execution}", None, url="/ui/deployments/deploy-dev-1"),
    Case("GET", "/api/v1/secrets", Role.VIEWER, url="/api/v1/secrets?environment=dev", prepare=_fleet),
    *(
        Case(
            "GET",
            f"/api/v1/secrets/{{name}}{tail}",
            Role.VIEWER,
            url=f"{SECRET}{tail}?environment=dev",
            prepare=_secret,
        )
        for tail in ("", "/versions", "/history")
    ),
    Case(
        "POST",
        "/api/v1/secrets/{name}/versions",
        Role.OPERATOR,
        url=f"{SECRET}/versions",
        json={"environment": "dev", "generate": True},
        ok=201,
        prepare=_fleet,
    ),
    Case(
        "POST",
        "/api/v1/secrets/{name}/rotations",
        Role.OPERATOR,
        url=f"{SECRET}/rotations",
        json={"environment": "dev"},
        ok=201,
        prepare=_rotatable,
    ),
    Case(
        "POST",
        "/api/v1/secrets/{name}/reveal",
        Role.ADMIN,
        url=f"{SECRET}/reveal",
        json={"environment": "dev"},
        prepare=_secret,
    ),
    Case("GET", "/api/v1/alarms", Role.VIEWER, url="/api/v1/alarms?state=ALARM", prepare=_alarms),
    Case(
        "GET",
        "/api/v1/alarms/{name}/history",
        Role.VIEWER,
        url="/api/v1/alarms/high-5xx/history",
        prepare=_alarms,
    ),
    Case(
        "POST",
        "/api/v1/alarms/{name}/disable-actions",
        Role.OPERATOR,
        url="/api/v1/alarms/high-5xx/disable-actions",
        prepare=_alarms,
    ),
    Case(
        "POST",
        "/api/v1/alarms/{name}/enable-actions",
        Role.OPERATOR,
        url="/api/v1/alarms/high-5xx/enable-actions",
        prepare=_alarms,
    ),
    Case(
        "GET",
        "/api/v1/health/report",
        Role.VIEWER,
        url="/api/v1/health/report?checklist=pre-deploy",
        prepare=_runbooks,
    ),
    Case("GET", "/api/v1/reports", Role.VIEWER, url="/api/v1/reports?period=monthly", prepare=_runbooks),
    Case(
        "POST", "/api/v1/fleet/scale", Role.OPERATOR, json={"service": "menu", "desired": 3}, prepare=_fleet
    ),
    Case("GET", "/api/v1/fleet/logs", Role.VIEWER, url="/api/v1/fleet/logs?service=menu", prepare=_fleet),
    Case(
        "GET",
        "/api/v1/fleet/logs/query",
        Role.VIEWER,
        url="/api/v1/fleet/logs/query?query=stats%20count()&services=menu",
        prepare=_fleet,
    ),
    Case("GET", "/api/v1/fleet/activities", Role.VIEWER, prepare=_fleet),
    Case("GET", "/api/v1/metrics", Role.VIEWER, prepare=_fleet),
    Case(
        "GET",
        "/api/v1/metrics/statistics",
        Role.VIEWER,
        url="/api/v1/metrics/statistics?namespace=AWS/EC2&metric=CPUUtilization",
        prepare=_fleet,
    ),
    Case(
        "GET",
        "/api/v1/metrics/math",
        Role.VIEWER,
        url="/api/v1/metrics/math?expression=TIME_SERIES(1)",
        prepare=_fleet,
    ),
    Case(
        "POST", "/api/v1/rollouts", Role.OPERATOR, json={"service": "menu", "version": "v2"}, prepare=_fleet
    ),
    Case(
        "GET", "/api/v1/rollouts/{rollout_id}", Role.VIEWER, url="/api/v1/rollouts/r-1", prepare=_held_rollout
    ),
    Case(
        "POST",
        "/api/v1/tasks/run",
        Role.ADMIN,
        json={
            "resource": "fleetops:notify",
            "payload": {"event": "started", "plan": {"environment": "dev"}},
            "context": {"execution_arn": EXECUTION, "state": "NotifyStarted"},
        },
        prepare=_runbooks,
    ),
    Case(
        "POST",
        "/api/v1/rollouts/{rollout_id}/cancel",
        Role.OPERATOR,
        url="/api/v1/rollouts/r-1/cancel",
        prepare=_held_rollout,
    ),
]

_IDS = [case.id for case in ROUTES]


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    """One app for the tests of refused requests, which change nothing (that is what they
    prove; each ``prepare`` puts in place what its request acts on whatever the earlier cases
    left). An app on a fresh store, started for the first time, costs ~0.05 s of CPU, a refused
    call a few ms. An admitted read shares it too; an admitted request that changes the fleet
    gets its own (``api``)."""
    with api_harness(tmp_path_factory.mktemp("authorization") / "state") as harness:
        yield harness


@pytest.fixture(scope="module")
def shared_client(shared_api: ApiHarness) -> Iterator[TestClient]:
    """``shared_api`` started once for the module (entering the client runs the app's lifespan:
    the execution service runs), each request sending its own token. Started per call instead,
    it resumed every execution the earlier cases had left running, at every call."""
    with shared_api.client() as client:
        yield client


def test_every_step_functions_action_is_in_the_table() -> None:
    assert {case.action for case in SFN_ACTIONS} == set(ACTIONS)


def _app_routes(api: ApiHarness) -> set[tuple[str, str]]:
    found = set()
    # FastAPI keeps included routers as such; iter_route_contexts flattens them with their prefix.
    for route in iter_route_contexts(api.app.routes):
        found |= {(method, route.path or repr(route)) for method in route.methods or () if method != "HEAD"}
    return found


def test_every_route_is_in_the_table(shared_api: ApiHarness) -> None:
    assert _app_routes(shared_api) == {(case.method, case.path) for case in ROUTES}


def _call(
    api: ApiHarness, client: TestClient, case: Case, role: Role | None, token: str | None = None
) -> int:
    """The case's request on ``client`` (an app of ``api`` started) as ``role`` (or ``token``)."""
    for name in case.setup:
        if api.store.tokens.get(name) is None:
            api.store.tokens.add(name=name, role="viewer", token_sha256=name * 8, created_by="test")
    if case.prepare is not None:
        case.prepare(api)
    bearer = token if token is not None else (api.tokens[role] if role is not None else None)
    if case.action is None:
        headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
        return client.request(case.method, case.target, json=case.json, headers=headers).status_code
    assert case.sfn_body is not None
    body = case.sfn_body(Admin(client, api.tokens[Role.ADMIN]))
    return client.post("/", json=body, headers=_sfn_headers(case.action, bearer)).status_code


@pytest.mark.parametrize("case", ROUTES, ids=_IDS)
def test_without_a_token(shared_api: ApiHarness, shared_client: TestClient, case: Case) -> None:
    assert _call(shared_api, shared_client, case, None) == (case.ok if case.role is None else 401)


@pytest.mark.parametrize("case", [case for case in ROUTES if case.role is not None], ids=lambda case: case.id)
def test_with_an_unknown_token(shared_api: ApiHarness, shared_client: TestClient, case: Case) -> None:
    assert _call(shared_api, shared_client, case, None, token="fo_not-a-real-token") == 401


@pytest.mark.parametrize("case", ROUTES, ids=_IDS)
def test_roles_below_the_minimum_are_forbidden(
    shared_api: ApiHarness, shared_client: TestClient, case: Case
) -> None:
    lower = [role for role in Role if case.role is not None and role.rank < case.role.rank]
    assert {role: _call(shared_api, shared_client, case, role) for role in lower} == dict.fromkeys(lower, 403)


@pytest.mark.parametrize("case", ROUTES, ids=_IDS)
def test_the_minimum_role_is_admitted(request: pytest.FixtureRequest, case: Case) -> None:
    # A request that changes state gets an app of its own (what it changes is then its alone);
    # a read shares the module's, started once (a fresh app costs ~0.05 s of CPU: its first
    # requests compile every SQL statement and the state machines again).
    if not case.changes_state:
        shared: ApiHarness = request.getfixturevalue("shared_api")
        assert (
            _call(shared, request.getfixturevalue("shared_client"), case, case.role or Role.VIEWER) == case.ok
        )
        return
    api: ApiHarness = request.getfixturevalue("api")
    with api.client() as client:
        assert _call(api, client, case, case.role or Role.VIEWER) == case.ok
