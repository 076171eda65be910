"""Approval gates, rollback, promote and stop of an ``orchestrator: aws-stepfunctions``
environment, end to end on a second fleetops server as the Step Functions endpoint.

One module, one of each part, all in this process to keep it cheap: the endpoint (the API app
served on a free port), the runbooks ``deploy`` and ``rollback`` exported there for ``stage``
(the real ``fleetops sfn export``), a control plane (the real app and its store) whose fleet is
the timed fake of ``fleetops bench orchestrator`` (no processes, real rollouts: seconds each),
and a ``fleetops worker`` (its ``Worker``) serving the activities in threads. ``dev`` runs its
runbooks here, ``stage`` on the endpoint with ``approval: required``, promoted from ``dev``.
The tests share the fleet and run in order: each leaves stage where the next expects it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi import FastAPI

from fleetops.bench.timed_fleet import HealthResponder, TimedFleets
from fleetops.cli.client import ApiClient, ServerAddress
from fleetops.cli.output import OutputFormat
from fleetops.cli.sfn_client import target_client
from fleetops.cli.sfn_export import export
from fleetops.cli.worker import Worker, exported_activities
from fleetops.control.initial_releases import pin_initial, verify_ready
from fleetops.errors import BadInput, NotAuthorised
from fleetops.runbooks.activities import ActivityNames
from fleetops.server import app as server_app
from fleetops.server.auth import Role, new_token, read_token_file, token_digest
from fleetops.server.settings import ServerSettings
from fleetops.server.sfn import actions
from fleetops.testing.api import api_harness
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.sfn import SfnHarness, serving, sfn_harness
from fleetops.testing.waiting import wait_until

FLEET = """
name: shop
environments:
  dev:
    provider: local
  stage:
    provider: local
    promote_from: dev
    approval: required
    orchestrator: aws-stepfunctions
    stepfunctions: {{endpoint_url: "{endpoint}", region: us-east-1}}
services:
  menu:
    run: {{command: "{{python}} services/menu.py"}}
    instances: {{min: 1, desired: 1, max: 2}}
    health: {{path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2}}
    deploy: {{min_healthy_percent: 100, max_healthy_percent: 200, warmup: 0s, bake_time: 0s,
              deregistration_delay: 0s}}
"""
STAGE = ActivityNames("shop", "stage")
MACHINES = "arn:aws:states:us-east-1:123456789012:stateMachine:fleetops-shop-stage-"


@dataclass
class Plane:
    """A running control plane: its app, URL and the operator's and admin's API clients."""

    app: FastAPI
    url: str
    admin: ApiClient
    operator: ApiClient


class Setup:
    """The endpoint, the fleet, the control plane now running and the worker now serving."""

    def __init__(self, endpoint: SfnHarness, folder: Path, fleets: TimedFleets) -> None:
        self.endpoint = endpoint
        self.folder = folder
        self.fleets = fleets
        self.plane: Plane | None = None
        self.worker: Worker | None = None
        self._worker_thread: threading.Thread | None = None
        self.operator_token = new_token()
        self._plane_stack = ExitStack()

    @property
    def api(self) -> Plane:
        assert self.plane is not None
        return self.plane

    def start_plane(self) -> Plane:
        """The control plane on ``folder/.fleetops`` (the same store and key on each start)."""
        settings = ServerSettings(
            state_dir=self.folder / ".fleetops",
            fleet_file=self.folder / "fleet.yaml",
            environment="dev",
            more_environments=("stage",),
        )
        app = server_app.create_app(settings, opener=self.fleets.opener())
        stack = ExitStack()
        stack.callback(app.state.store.close)
        with stack:
            store = app.state.store
            if store.tokens.get("olga") is None:
                store.tokens.add(
                    name="olga",
                    role=Role.OPERATOR,
                    token_sha256=token_digest(self.operator_token),
                    created_by="t",
                )
            url = stack.enter_context(serving(app, timeout=60))
            admin = stack.enter_context(ApiClient(ServerAddress(url, read_token_file(settings.state_dir))))
            operator = stack.enter_context(ApiClient(ServerAddress(url, self.operator_token)))
            self.plane = Plane(app, url, admin, operator)
            for environment in ("dev", "stage"):
                # What `fleetops up` does: the first release, verified once the service is up
                # (a restart finds it and pins none).
                runtime = app.state.environments.get(environment)
                pin_initial(store, runtime.fleet, environment, "menu", "v1")
                verify_ready(store, environment, runtime.status())
            self._plane_stack = stack.pop_all()
        return self.plane

    def stop_plane(self) -> None:
        """Stop the control plane (its app's lifespan: the engine, the environments, the store)."""
        self.plane = None
        self._plane_stack.close()

    def start_worker(self, name: str) -> None:
        """A ``fleetops worker --env stage`` serving the exported activities, in threads."""
        plane = self.api
        client = target_client(self.endpoint.url, "us-east-1", pollers=64)
        admin = read_token_file(self.folder / ".fleetops")
        self.worker = Worker(
            client,
            lambda: ApiClient(ServerAddress(plane.url, admin)),
            exported_activities(client, STAGE),
            name=name,
            concurrency=1,
        )
        self._worker_thread = threading.Thread(target=self.worker.run, daemon=True)
        self._worker_thread.start()

    def stop_worker(self) -> None:
        """SIGTERM's way: no new poll; the tasks in hand finished."""
        assert self.worker is not None and self._worker_thread is not None
        self.worker.stopping.set()
        self._worker_thread.join(timeout=60)
        assert not self._worker_thread.is_alive()
        self.worker = None

    def stage(self) -> InMemoryFleetRuntime:
        """stage's fake fleet (the newest: a restarted control plane opens another)."""
        return next(r for r in reversed(self.fleets.runtimes) if r.environment == "stage")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    base = tmp_path_factory.mktemp("sfn-approval")
    responder = HealthResponder()
    fleets = TimedFleets(responder.url)
    with (
        pytest.MonkeyPatch.context() as patch,
        api_harness(base / "endpoint") as endpoint_api,
        sfn_harness(endpoint_api) as endpoint,
    ):
        # A worker's poll is held this long when there is no task (AWS: 60 s): stopping a
        # worker, or the endpoint, waits for its polls to come back.
        patch.setattr(actions, "ACTIVITY_POLL_SECONDS", 2.0)
        # The control plane's and the worker's credentials for the endpoint (boto3's chain).
        # The default session caches the credentials it resolved first: an earlier test of
        # this process would otherwise lend its own (the endpoint refuses them).
        patch.setattr(boto3, "DEFAULT_SESSION", None)
        patch.setenv("AWS_ACCESS_KEY_ID", endpoint.api.tokens[Role.ADMIN])
        patch.setenv("AWS_SECRET_ACCESS_KEY", "unused")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        folder = base / "shop"
        folder.mkdir()
        (folder / "fleet.yaml").write_text(FLEET.format(endpoint=endpoint.url))
        export(
            ["deploy", "rollback"],
            every=False,
            env="stage",
            endpoint_url=None,
            region=None,
            role_arn="arn:aws:iam::123456789012:role/fleetops",
            heartbeat_seconds=20,
            check=True,
            dry_run=False,
            file=folder / "fleet.yaml",
            output=OutputFormat.JSON,
        )
        setup = Setup(endpoint, folder, fleets)
        try:
            setup.start_plane()
            setup.start_worker("w1")
            yield setup
        finally:
            if setup.worker is not None:
                setup.stop_worker()
            setup.stop_plane()
            fleets.close()
            responder.close()


def _ended(setup: Setup, name: str) -> dict[str, Any]:
    found: dict[str, Any] = wait_until(
        lambda: (p := setup.api.admin.get(f"/deployments/{name}"))["status"] != "RUNNING" and p,
        timeout=120,
    )
    return found


def _waiting_for_approval(setup: Setup, name: str) -> dict[str, Any]:
    """The deployment once the worker handed its approval task over (its token held here)."""
    arn = str(setup.api.admin.get(f"/deployments/{name}")["execution_arn"])
    tokens = setup.api.app.state.deployments.task_tokens
    wait_until(lambda: tokens.held(arn) is not None, timeout=60)
    progress: dict[str, Any] = setup.api.admin.get(f"/deployments/{name}")
    return progress


def test_a_promotion_waits_for_approval_across_restarts_and_continues_once_approved(setup: Setup) -> None:
    dev = setup.api.admin.post("/deployments", {"environment": "dev", "version": "v2"})
    assert _ended(setup, dev["execution"])["status"] == "SUCCEEDED"
    promoted = setup.api.admin.post("/promotions", {"source": "dev", "target": "stage"})
    name = promoted["execution"]
    assert promoted["execution_arn"] == f"{MACHINES.replace(':stateMachine:', ':execution:')}deploy:{name}"
    progress = _waiting_for_approval(setup, name)
    assert (progress["status"], progress["waiting_for_approval"]) == ("RUNNING", True)
    token = setup.api.app.state.deployments.task_tokens.held(promoted["execution_arn"]).token
    row = setup.api.app.state.store.held_tokens.get(promoted["execution_arn"])
    assert (row.state, token.encode() in row.sealed_token) == ("Approval", False)  # sealed at rest
    # The token outlives the worker and the control plane: both stop, new ones start.
    setup.stop_worker()
    with pytest.raises(NotAuthorised, match=f"'admin' started deployment {name} and cannot approve it"):
        setup.api.admin.post(f"/executions/{name}/approval", {"approve": True})
    setup.stop_plane()
    setup.start_plane()
    setup.start_worker("w2")
    approved = setup.api.operator.post(f"/executions/{name}/approval", {"reason": "looks good"})
    assert approved == {"execution": name, "approved": True, "by": "olga", "reason": "looks good"}
    ended = _ended(setup, name)
    assert (ended["status"], [(s["service"], s["version"]) for s in ended["services"]]) == (
        "SUCCEEDED",
        [("menu", "v2")],
    )
    assert setup.stage().current_versions() == {"menu": "v2"}
    # Answered, so forgotten; and shown nowhere: not in the endpoint's history, nor in what
    # the control plane answers or audits.
    assert setup.api.app.state.deployments.task_tokens.held(promoted["execution_arn"]) is None
    pages = setup.endpoint.admin.get_paginator("get_execution_history").paginate(
        executionArn=promoted["execution_arn"]
    )
    shown = [json.dumps([e for p in pages for e in p["events"]], default=str)]
    shown.append(json.dumps(setup.api.admin.get(f"/executions/{name}/history")))
    shown.append(json.dumps(setup.api.admin.get(f"/deployments/{name}")))
    for store in (setup.api.app.state.store, setup.endpoint.api.store):
        shown.append(json.dumps([e.to_json() for e in store.audit.list(limit=1000)], default=str))
    assert [token in text for text in shown] == [False] * len(shown)
    # The gate answered, approving again is refused and changes nothing.
    with pytest.raises(BadInput, match=f"execution {name} is SUCCEEDED and waits for no approval"):
        setup.api.operator.post(f"/executions/{name}/approval", {})


def test_a_rejected_approval_fails_the_deployment_and_frees_the_environment(setup: Setup) -> None:
    started = setup.api.admin.post("/deployments", {"environment": "stage", "version": "v3"})
    _waiting_for_approval(setup, started["execution"])
    rejected = setup.api.admin.post(
        f"/executions/{started['execution']}/approval", {"approve": False, "reason": "not today"}
    )
    assert rejected["approved"] is False
    ended = _ended(setup, started["execution"])
    described = setup.endpoint.admin.describe_execution(executionArn=started["execution_arn"])
    assert (ended["status"], described["status"], described["error"]) == (
        "FAILED",
        "FAILED",
        "fleetops.ApprovalRejected",
    )
    assert setup.api.admin.get("/locks") == {"locks": []}
    assert setup.stage().current_versions() == {"menu": "v2"}


def test_a_stopped_deployment_is_aborted_there_and_rolled_back_there(setup: Setup) -> None:
    stage = setup.stage()
    before = stage.current_versions()
    stage.hold = True  # its rollout stays Pending: the stop lands while it is in flight
    started = setup.api.admin.post("/deployments", {"environment": "stage", "version": "v4"})
    name = started["execution"]
    _waiting_for_approval(setup, name)
    setup.api.operator.post(f"/executions/{name}/approval", {})
    wait_until(lambda: any(r.version == "v4" for r in stage.started), timeout=60)
    stage.hold = False
    stopped = setup.api.operator.post(f"/executions/{name}/stop")
    assert (stopped["execution"], stopped["status"]) == (name, "ABORTED")
    rollback = stopped["rollback"]["execution"]
    described = setup.endpoint.admin.describe_execution(executionArn=started["execution_arn"])
    assert (described["status"], described["error"]) == ("ABORTED", "fleetops.Stopped")
    assert rollback.startswith("rollback-stage-")
    assert _ended(setup, rollback)["status"] == "SUCCEEDED"
    assert before == stage.current_versions() == {"menu": "v2"}
    assert setup.api.admin.get("/locks") == {"locks": []}


def test_a_rollback_runs_on_step_functions(setup: Setup) -> None:
    releases = setup.api.app.state.store.releases.list(environment="stage", service="menu")
    v1 = next(r.number for r in releases if r.version == "v1" and str(r.status) == "verified")
    started = setup.api.admin.post(
        "/rollbacks", {"environment": "stage", "services": ["menu"], "to_release": v1}
    )
    assert started["execution_arn"].startswith(
        f"{MACHINES.replace(':stateMachine:', ':execution:')}rollback:"
    )
    assert _ended(setup, started["execution"])["status"] == "SUCCEEDED"
    assert setup.stage().current_versions() == {"menu": "v1"}
    described = setup.endpoint.admin.describe_execution(executionArn=started["execution_arn"])
    assert (described["status"], described["stateMachineAliasArn"]) == (
        "SUCCEEDED",
        f"{MACHINES}rollback:live",
    )
