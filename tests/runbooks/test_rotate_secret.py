"""The rotate-secret runbook on the engine's fake clock, over in-memory runtimes and logins
(``FakeRotationTargets``): each step, and a failure injected at each step, which leaves the
previous value working and names the step."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from fleetops.engine import ExecutionResult
from fleetops.ops.secrets.cipher import Cipher
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.runbooks.handlers.common import ROLLOUT_FAILED
from fleetops.runbooks.handlers.rotation import ROTATION_FAILED, pending_version_id
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.store.secrets import AWSCURRENT, AWSPENDING, AWSPREVIOUS
from fleetops.testing.runbooks import RunbookWorld, fail_calls

FLEET = """
name: shop
environments:
  dev: {provider: local}
services:
  orders:
    run: {command: "{python} orders.py"}
    datastores: [db]
    instances: {min: 1, desired: 1, max: 2}
    health: {path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2}
    deploy: {min_healthy_percent: 100, max_healthy_percent: 200, warmup: 1s, bake_time: 1s}
  menu:
    run: {command: "{python} menu.py"}
    instances: {min: 1, desired: 1, max: 1}
    health: {path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2}
secrets:
  db-password: {rotation: {every: 30d}}
datastores:
  db:
    kind: postgres
    connection: postgresql://app@localhost/app
    password_secret: db-password
"""
OLD = "old-password-value-0123456789abcdef"


@pytest.fixture
def fleet() -> Fleet:
    return load_fleet_text(FLEET)


@pytest.fixture
def vault(store: Store, tmp_path: Path) -> SecretsVault:
    vault = SecretsVault(store, Cipher(b"k" * 32))
    vault.put("dev", "db-password", OLD, by="test")
    return vault


def rotate(
    store: Store, fleet: Fleet, vault: SecretsVault, *, fail: dict[str, str] | None = None,
    fail_task: str | None = None, report_new: bool = True,
) -> tuple[ExecutionResult, RunbookWorld, str]:  # fmt: skip
    """Run a rotation of db-password; the pending version id with the result."""

    async def scenario() -> tuple[ExecutionResult, RunbookWorld, str]:
        world = RunbookWorld.make(store, fleet, secrets=vault)
        runtime = world.runtimes["dev"]
        runtime.logins["db"] = {"app": OLD}
        runtime.fail.update(fail or {})
        if fail_task is not None:
            error = ROLLOUT_FAILED if fail_task.endswith("redeploy-service") else "fleetops.Failed"
            fail_calls(world.registry, fail_task, error, json.dumps({"message": "injected"}))
        handle = world.start(
            "rotate-secret", {"environment": "dev", "secret": "db-password", "pickup_seconds": 4}, name="r1"
        )
        version = pending_version_id_of(handle.execution_arn)
        runtime.loaded["orders"] = {"orders-1": {"db-password": version if report_new else "old"}}
        return await handle.result(), world, version

    return asyncio.run(scenario())


def pending_version_id_of(arn: str) -> str:
    class Context:
        execution_arn = arn

    return pending_version_id(Context(), "db-password")  # type: ignore[arg-type]


def labels(store: Store) -> dict[str, str | None]:
    return {
        stage: store.secrets.stage_version("dev", "db-password", stage)
        for stage in (AWSCURRENT, AWSPENDING, AWSPREVIOUS)
    }


def test_a_rotation_sets_tests_finishes_redeploys_proves_pickup_and_revokes(
    store: Store, fleet: Fleet, vault: SecretsVault
) -> None:
    old = store.secrets.stage_version("dev", "db-password", AWSCURRENT)
    result, world, new = rotate(store, fleet, vault)
    assert result.status == "SUCCEEDED", result.cause
    assert labels(store) == {AWSCURRENT: new, AWSPENDING: None, AWSPREVIOUS: None}
    value = vault.reveal("dev", "db-password").value
    # The new password is the other user's; the old user's is gone (revoked).
    assert world.runtimes["dev"].logins["db"] == {"app_clone": value}
    assert [v.username for v in vault.versions("dev", "db-password")] == [None, "app_clone"]
    release = store.releases.list(environment="dev", execution_id="r1")
    assert [(r.service, r.status.value, r.secret_versions) for r in release] == [
        ("orders", "verified", {"db-password": new})
    ]
    assert [e.action for e in store.secrets.history("dev", "db-password")][-2:] == [
        "stage.removed",
        "version.revoked",
    ]
    assert old != new and store.locks.get("dev") is None


@pytest.mark.parametrize(
    "case",
    [
        ("createSecret", {"rotation_user": "no answer"}, None),
        ("setSecret", {"set_login": "ALTER ROLE refused"}, None),
        ("testSecret", {"try_login": "login refused"}, None),
        ("finishSecret", None, "fleetops:rotate-finish"),
    ],
)
def test_a_failure_before_finish_leaves_the_old_value_current_and_drops_the_pending_one(
    store: Store, fleet: Fleet, vault: SecretsVault, case: tuple[str, dict[str, str] | None, str | None]
) -> None:
    step, fail, fail_task = case
    old = store.secrets.stage_version("dev", "db-password", AWSCURRENT)
    result, world, _new = rotate(store, fleet, vault, fail=fail, fail_task=fail_task)
    assert (result.status, result.error) == ("FAILED", ROTATION_FAILED)
    assert f"rotation of 'db-password' in 'dev' stopped at {step}: " in str(result.cause)
    assert f"AWSCURRENT is still version {old}: the services were not touched" in str(result.cause)
    assert labels(store) == {AWSCURRENT: old, AWSPENDING: None, AWSPREVIOUS: None}
    assert world.runtimes["dev"].logins["db"] == {"app": OLD}
    assert store.releases.list(environment="dev", execution_id="r1") == []
    assert store.locks.get("dev") is None


def test_a_failed_redeploy_rolls_back_and_moves_awscurrent_back(
    store: Store, fleet: Fleet, vault: SecretsVault
) -> None:
    old = store.secrets.stage_version("dev", "db-password", AWSCURRENT)
    result, world, new = rotate(store, fleet, vault, fail_task="fleetops:rotate-redeploy-service")
    assert (result.status, result.error) == ("FAILED", ROTATION_FAILED)
    assert "stopped at redeploy: injected. the services were rolled back" in str(result.cause)
    assert f"AWSCURRENT moved back to version {old}" in str(result.cause)
    assert labels(store) == {AWSCURRENT: old, AWSPENDING: None, AWSPREVIOUS: new}
    assert world.runtimes["dev"].logins["db"]["app"] == OLD
    assert [r.status.value for r in store.releases.list(environment="dev", execution_id="r1")] == [
        "rolled_back"
    ]


@pytest.mark.parametrize(
    "case", [("pickup", None, False), ("revokePrevious", {"revoke_login": "REVOKE refused"}, True)]
)
def test_a_failure_after_the_redeploy_revokes_nothing(
    store: Store, fleet: Fleet, vault: SecretsVault, case: tuple[str, dict[str, str] | None, bool]
) -> None:
    step, fail, report_new = case
    old = store.secrets.stage_version("dev", "db-password", AWSCURRENT)
    result, world, new = rotate(store, fleet, vault, fail=fail, report_new=report_new)
    assert (result.status, result.error) == ("FAILED", ROTATION_FAILED)
    assert f"stopped at {step}: " in str(result.cause)
    assert "was not revoked and still works" in str(result.cause)
    assert labels(store) == {AWSCURRENT: new, AWSPENDING: None, AWSPREVIOUS: old}
    assert world.runtimes["dev"].logins["db"]["app"] == OLD
    assert store.locks.get("dev") is None
