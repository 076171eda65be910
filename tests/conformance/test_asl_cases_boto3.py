"""The recorded ASL cases through a real boto3 client against one server (the Step Functions
endpoint), for the APIs the cases were recorded with beyond StartExecution:

- ``ValidateStateMachineDefinition``: the diagnostics AWS answered, as boto3 parses ours;
- ``CreateStateMachine`` refusals: the ``InvalidDefinition`` message;
- ``StartSyncExecution`` (``inject_host_prefix=False``: boto3 would send it to ``sync-<host>``):
  the recorded EXPRESS executions, and the ``pass`` category run as EXPRESS machines too: Pass,
  Succeed, Fail and the paths behave alike in both types, and the cases here recorded no EXPRESS
  execution (the held-back third does), so the sync path is exercised on recorded outcomes.

``test_asl_cases.py`` runs every case on the engine in-process; cases it lists as known
failures are expected to fail here too.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fleetops.server.roles import Role
from fleetops.testing.api import api_harness
from fleetops.testing.asl_cases import Case, cases_dir, load_cases, matches, read_known_failures
from fleetops.testing.sfn import ROLE_ARN, serving, sfn_client

KNOWN = read_known_failures(Path(__file__).with_name("known_failures.txt"))
_names = itertools.count()


def _cases(selected: Any) -> list[Any]:
    try:
        cases = [case for case in load_cases(cases_dir()) if selected(case)]
    except FileNotFoundError as err:
        return [pytest.param(None, id=f"missing-cases: {err}")]
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(reason=KNOWN[case.id], strict=True)] if case.id in KNOWN else [],
        )
        for case in cases
    ]


def _api(case: Case) -> str | None:
    return str(case.data["expected"].get("api")) if "api" in case.data["expected"] else None


def _sync(case: Case) -> bool:
    expected = case.data["expected"]["status"]
    express = case.data.get("state_machine_type") == "EXPRESS"
    return expected != "INVALID_DEFINITION" and (express or case.category == "pass")


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """A client for the server and one for StartSyncExecution (no host prefix)."""
    with api_harness(tmp_path_factory.mktemp("asl-boto3")) as api, serving(api.app) as url:
        token = api.tokens[Role.ADMIN]
        sync = boto3.client(
            "stepfunctions",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=token,
            aws_secret_access_key="unused",
            config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
        )
        yield sfn_client(url, token), sync


def _present(case: Case | None) -> Case:
    if case is None:
        pytest.fail(f"ASL conformance cases not found at {cases_dir()} (set FLEETOPS_ASL_CASES)")
    return case


@pytest.mark.parametrize("case", _cases(lambda c: _api(c) == "ValidateStateMachineDefinition"))
def test_validate_state_machine_definition(case: Case | None, clients: tuple[Any, Any]) -> None:
    data = _present(case).data
    answer = clients[0].validate_state_machine_definition(
        definition=json.dumps(data["definition"]), type=data.get("state_machine_type", "STANDARD")
    )
    expected = data["expected"]["diagnostics"]
    assert answer["result"] == "FAIL"
    assert matches(expected, answer["diagnostics"], data.get("mask_tokens", [])), answer["diagnostics"]


@pytest.mark.parametrize("case", _cases(lambda c: _api(c) == "CreateStateMachine"))
def test_create_state_machine_refuses_the_definition(case: Case | None, clients: tuple[Any, Any]) -> None:
    data = _present(case).data
    with pytest.raises(ClientError) as refused:
        clients[0].create_state_machine(
            name=f"refused-{next(_names)}",
            definition=json.dumps(data["definition"]),
            roleArn=ROLE_ARN,
            type=data.get("state_machine_type", "STANDARD"),
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidDefinition"
    assert matches(data["expected"]["message"], error["Message"], data.get("mask_tokens", [])), error


@pytest.mark.parametrize("case", _cases(_sync))
def test_start_sync_execution(case: Case | None, clients: tuple[Any, Any]) -> None:
    data = _present(case).data
    machine = clients[0].create_state_machine(
        name=f"sync-{next(_names)}",
        definition=json.dumps(data["definition"]),
        roleArn=ROLE_ARN,
        type="EXPRESS",
    )["stateMachineArn"]
    ended = clients[1].start_sync_execution(stateMachineArn=machine, input=json.dumps(data["input"]))
    got: dict[str, Any] = {"status": ended["status"]}
    if ended["status"] == "SUCCEEDED":
        got["output"] = json.loads(ended["output"])
    elif ended["status"] == "FAILED":
        got |= {key: ended[key] for key in ("error", "cause") if key in ended}
    assert matches(data["expected"], got, data.get("mask_tokens", [])), got
