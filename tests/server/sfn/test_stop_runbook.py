"""StopExecution through the Step Functions endpoint on a runbook's execution does what
``fleetops stop`` does: the deployment is rolled back, its lock handed over to that rollback
and then given back, and its rollouts fenced."""

from __future__ import annotations

from typing import Any

import httpx

from fleetops.control.deployments import Deployments, machine_name
from fleetops.control.initial_releases import pin_initial
from fleetops.server.roles import Role
from fleetops.spec.loader import load_fleet_text
from fleetops.testing.api import ApiHarness
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime, in_memory_environments
from fleetops.testing.runbooks import hold_calls
from fleetops.testing.sfn import sfn_harness
from fleetops.testing.waiting import wait_until

FLEET = """
name: shop
environments:
  dev: {provider: local}
services:
  menu: &svc
    run: {command: "{python} services/x.py"}
    instances: {min: 1, desired: 2, max: 3}
    health: {path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2}
    deploy: {warmup: 1s, bake_time: 1s, deregistration_delay: 1s, auto_rollback: false}
  orders:
    <<: *svc
    depends_on: [menu]
"""


def test_stop_execution_of_a_deployment_rolls_it_back_and_gives_the_environment_back(api: ApiHarness) -> None:
    fleet = load_fleet_text(FLEET)
    environments = in_memory_environments(fleet, "dev")
    deployments = Deployments(api.app.state.executions, api.store, environments)
    deployments.register()
    api.app.state.environments = environments
    api.app.state.deployments = deployments
    for service in ("menu", "orders"):  # what fleetops up records: v1, verified
        initial = pin_initial(api.store, fleet, "dev", service, "v1")
        assert initial is not None
        api.store.releases.mark_verified("dev", service, initial.number)
    # The deployment is held as orders' rollout is about to start: menu is on v2 already.
    orders = hold_calls(
        api.app.state.executions.registry,
        "fleetops:deploy-service",
        when=lambda payload: payload.get("service") == "orders",
    )
    runtime = environments.runtime_for("dev")
    assert isinstance(runtime, InMemoryFleetRuntime)
    with sfn_harness(api) as sfn:
        operator = {"Authorization": f"Bearer {api.tokens[Role.OPERATOR]}"}
        started = httpx.post(
            f"{sfn.url}/api/v1/deployments", headers=operator, json={"environment": "dev", "version": "v2"}
        )
        assert started.status_code in (200, 201, 202), started.text
        deploy_arn = started.json()["execution_arn"]
        assert orders.entered.wait(60), "the deployment did not reach orders"
        assert runtime.current_versions() == {"menu": "v2", "orders": "v1"}

        client: Any = sfn.clients[Role.OPERATOR]
        client.stop_execution(executionArn=deploy_arn)

        described = client.describe_execution(executionArn=deploy_arn)
        assert (described["status"], described["error"], described["cause"]) == (
            "ABORTED",
            "fleetops.Stopped",
            "stopped by operator",
        )
        rollback_machine = api.app.state.executions.engine.state_machine_arn(machine_name("rollback"))
        rollbacks = client.list_executions(stateMachineArn=rollback_machine)["executions"]
        assert len(rollbacks) == 1
        rollback = wait_until(
            lambda: (
                (d := client.describe_execution(executionArn=rollbacks[0]["executionArn"]))["status"]
                != "RUNNING"
                and d
            ),
            timeout=120,
            what="the rollback to end",
        )
        assert rollback["status"] == "SUCCEEDED", rollback
        orders.go.set()  # the held call goes on in its thread: its rollout is fenced
        assert orders.left.wait(60)

    lock = api.store.locks.get("dev")
    assert lock is None, lock
    assert runtime.current_versions() == {"menu": "v1", "orders": "v1"}
    releases = {r.service: str(r.status) for r in api.store.releases.list(environment="dev")}
    assert "pinned" not in releases.values(), releases
    touched = {r.service: str(r.status) for r in api.store.releases.list(execution_id=described["name"])}
    assert touched == {"menu": "rolled_back", "orders": "rolled_back"}
    assert api.store.stopped.get(described["name"]) is not None
