"""How often a runbook looks: every second on a local environment, every 2 s on AWS."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fleetops.engine import TaskContext
from fleetops.runbooks.handlers import HANDLERS
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.testing.runbooks import RunbookWorld

FLEET = """
name: shop
environments:
  dev: {provider: local}
  exported: {provider: local, orchestrator: aws-stepfunctions}
  prod: {provider: aws, region: eu-west-1}
services:
  menu:
    run: {command: "{python} services/x.py"}
    aws:
      auto_scaling_group: menu
      launch_template_id: lt-0a1b2c3d4e5f60001
      target_group_arn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/menu/0000000000000001
"""

CONTEXT = TaskContext("arn:aws:states:us-east-1:123456789012:execution:deploy:d1", "Initialize", None, 0)


@pytest.fixture
def places() -> Fleet:
    return load_fleet_text(FLEET)


def _plan(store: Store, fleet: Fleet, resource: str, payload: dict[str, Any]) -> dict[str, Any]:
    async def scenario() -> dict[str, Any]:
        world = RunbookWorld.make(store, fleet)
        plan: dict[str, Any] = await asyncio.to_thread(HANDLERS[resource], world.deps, payload, CONTEXT)
        return plan

    return asyncio.run(scenario())


@pytest.mark.parametrize(
    ("environment", "seconds"),
    [("dev", 1), ("exported", 2), ("prod", 2)],
    ids=["local-engine", "local-on-step-functions", "aws-provider"],
)
def test_a_deploy_plan_looks_every_second_only_on_a_local_environment_run_here(
    store: Store, places: Fleet, environment: str, seconds: int
) -> None:
    plan = _plan(store, places, "fleetops:deploy-initialize", {"environment": environment, "version": "v2"})
    assert plan["poll_seconds"] == seconds


@pytest.mark.parametrize(("environment", "seconds"), [("dev", 1), ("prod", 2)], ids=["local", "aws"])
def test_a_rollback_plan_looks_as_often_as_a_deploy_plan(
    store: Store, places: Fleet, environment: str, seconds: int
) -> None:
    plan = _plan(store, places, "fleetops:rollback-initialize", {"environment": environment})
    assert plan["poll_seconds"] == seconds


def test_the_input_s_poll_seconds_wins(store: Store, places: Fleet) -> None:
    payload = {"environment": "dev", "version": "v2", "poll_seconds": 5}
    plan = _plan(store, places, "fleetops:deploy-initialize", payload)
    assert plan["poll_seconds"] == 5
