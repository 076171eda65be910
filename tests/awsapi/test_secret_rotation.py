"""``rotate-secret`` on the Secrets Manager endpoint starts fleetops' own rotation runbook (the
one ``fleetops secrets rotate`` starts) and answers as AWS does; its ``RotationRules`` are kept
and shown; what fleetops cannot rotate gets AWS's error and changes nothing. One in-process
control plane over the example's dev in memory (the runbook itself is tested in
tests/runbooks/test_rotate_secret.py, the rotation of the real fleet in tests/cli)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fleetops.control.deployments import machine_name
from fleetops.control.service import ExecutionService
from fleetops.runbooks.ports import FleetControl
from fleetops.server.app import create_app
from fleetops.server.auth import new_token, read_token_file, token_digest
from fleetops.server.roles import Role
from fleetops.server.settings import ServerSettings
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.testing.aws import REGION
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES
from fleetops.testing.sfn import serving
from fleetops.testing.waiting import wait_until


def _in_memory(
    fleet: Fleet, environment: str, version: str, _running: Sequence[FleetControl]
) -> FleetControl:
    return InMemoryFleetRuntime(fleet, environment, initial_version=version)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Store, dict[Role, Any], ExecutionService]]:
    state = tmp_path_factory.mktemp("rotation") / "state"
    app = create_app(ServerSettings(state_dir=state, fleet_file=EXAMPLES / "fleet.yaml"), opener=_in_memory)
    store: Store = app.state.store
    try:
        tokens = {Role.ADMIN: read_token_file(state) or ""}
        for role in (Role.VIEWER, Role.OPERATOR):
            tokens[role] = new_token()
            store.tokens.add(
                name=str(role), role=role, token_sha256=token_digest(tokens[role]), created_by="test"
            )
        for name in ("payments-api-key", "db-password"):
            app.state.secrets.put("dev", name, f"{name}-value-one-0123456789", by="test")
        with serving(app) as url:
            clients = {role: _client(url, token) for role, token in tokens.items()}
            yield store, clients, app.state.executions
    finally:
        store.close()


def _client(url: str, token: str) -> Any:
    return boto3.client(
        "secretsmanager", endpoint_url=url, region_name=REGION, aws_access_key_id=token,
        aws_secret_access_key="unused", config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip


def _error(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_rotate_secret_starts_the_rotation_runbook_and_keeps_its_rules(
    served: tuple[Store, dict[Role, Any], ExecutionService],
) -> None:
    store, clients, executions = served
    before = clients[Role.VIEWER].describe_secret(SecretId="payments-api-key")
    # The fleet file's rotation: {every: 90d}, until a RotateSecret sets other rules.
    assert (before["RotationEnabled"], before["RotationRules"]) == (True, {"AutomaticallyAfterDays": 90})
    token = "0f" * 16
    answer = clients[Role.OPERATOR].rotate_secret(
        SecretId="payments-api-key", ClientRequestToken=token, RotationRules={"AutomaticallyAfterDays": 30}
    )
    assert (answer["ARN"], answer["Name"], answer["VersionId"]) == (before["ARN"], "payments-api-key", token)
    # The runbook's CreateSecret step made the version the answer names.
    wait_until(
        lambda: any(e.version_id == token for e in store.secrets.history("dev", "payments-api-key")),
        what="the rotation's new version",
    )
    machine = executions.engine.state_machine_arn(machine_name("rotate-secret"))
    (execution,) = store.executions.list(machine, limit=10)
    assert (execution.name.startswith("rotate-payments-api-key-dev-"), execution.started_by) == (
        True,
        "operator",
    )
    after = clients[Role.VIEWER].describe_secret(SecretId=answer["ARN"])
    assert (after["RotationEnabled"], after["RotationRules"]) == (True, {"AutomaticallyAfterDays": 30})
    assert [e.action for e in store.audit.list(action="secretsmanager.RotateSecret")] == [
        "secretsmanager.RotateSecret"
    ]


def test_what_fleetops_cannot_rotate_is_refused_as_aws_refuses_it(
    served: tuple[Store, dict[Role, Any], ExecutionService],
) -> None:
    store, clients, _ = served
    admin = clients[Role.ADMIN]
    admin.create_secret(Name="relay-key", SecretString="relay-value-one")
    assert _error(admin.rotate_secret, SecretId="relay-key") == (
        "InvalidRequestException",
        "relay-key has no rotation here: fleetops rotates the fleet file's secrets (secrets.<name>) with "
        "its rotate-secret runbook, and relay-key was made by create-secret; put its next value with "
        "put-secret-value",
    )
    history = store.secrets.history("dev", "db-password")
    refused = [
        _error(admin.rotate_secret, SecretId="db-password", RotationLambdaARN="arn:aws:lambda:x"),
        _error(admin.rotate_secret, SecretId="db-password",
               RotationRules={"ScheduleExpression": "cron(0 2 * * ? *)"}),
        _error(admin.rotate_secret, SecretId="nope"),
    ]  # fmt: skip
    assert [code for code, _ in refused] == [
        "InvalidParameterException", "InvalidParameterException", "ResourceNotFoundException",
    ]  # fmt: skip
    assert store.secrets.history("dev", "db-password") == history
    assert _error(clients[Role.VIEWER].rotate_secret, SecretId="db-password")[0] == "AccessDeniedException"


def test_rules_alone_are_set_without_a_rotation(
    served: tuple[Store, dict[Role, Any], ExecutionService],
) -> None:
    store, clients, _ = served
    versions = store.secrets.versions("dev", "db-password")
    answer = clients[Role.OPERATOR].rotate_secret(
        SecretId="db-password",
        RotateImmediately=False,
        RotationRules={"ScheduleExpression": "rate(12 hours)"},
    )
    assert ("VersionId" in answer, store.secrets.versions("dev", "db-password")) == (False, versions)
    shown = clients[Role.VIEWER].describe_secret(SecretId="db-password")
    assert (shown["RotationEnabled"], shown["RotationRules"]) == (
        True,
        {"ScheduleExpression": "rate(12 hours)"},
    )
