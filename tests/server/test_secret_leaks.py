"""A release that prints a secret and fails: its value leaves the control plane nowhere.

End to end: ``fleetops up`` (real processes behind HAProxy), a deployment of a release whose
instance logs ``DB_PASSWORD``'s value and a URL with a password, then fails its health checks and
is rolled back. The value is then looked for everywhere a text from the instance can land: the
store's files (SQLite database and WAL), the execution's history and cause, the API's answers
(REST and Step Functions), ``server.log``, and the notifications the webhook and SMTP receivers
got. The state the control plane writes is private: files 0600, folders 0700.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import boto3
import httpx
import pytest
import yaml

from fleetops.testing.fleet_files import fleet_document
from fleetops.testing.receivers import SmtpServer, WebhookReceiver, smtp_server, webhook_receiver
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

URL_PASSWORD = "url-pw-5551"
LEAKY = {
    "env": {
        "FAULT_FAIL_HEALTH_AFTER": "1s",
        "FAULT_LOG_ENV": "DB_PASSWORD,ORDERS_DSN",
        "ORDERS_DSN": f"postgresql://orders:{URL_PASSWORD}@127.0.0.1:5432/orders",
    }
}


@dataclass(frozen=True)
class Leak:
    """The fleet after the leaky deployment: where to look, and what for."""

    folder: Path
    secret: str
    rotated: str
    """db-password's value after ``fleetops secrets rotate`` (``secret`` is then revoked)."""
    rotation: str
    execution: str
    deploy: dict[str, object]
    hook: WebhookReceiver
    smtp: SmtpServer

    @property
    def state(self) -> Path:
        return self.folder / ".fleetops"

    def api(self, path: str) -> str:
        server = json.loads((self.state / "server.json").read_text())
        token = (self.state / "token").read_text().strip()
        response = httpx.get(
            f"{server['url']}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.text


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Leak]:
    folder = tmp_path_factory.mktemp("leak") / "shop"
    folder.mkdir()
    with webhook_receiver() as hook, smtp_server() as smtp:
        document = fleet_document(
            {
                "menu": {
                    "secrets": ["db-password"],
                    "deploy": {"bake_time": "2s"},
                    "versions": {"leaky": LEAKY},
                }
            }
        )
        document["secrets"] = {"db-password": {"description": "the database's password"}}
        document["notifications"] = {
            "chat": {"type": "webhook", "url": hook.url, "events": ["*"]},
            "mail": {
                "type": "email",
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "starttls": False},
                "from": "fleetops@shop.example",
                "to": ["on-call@shop.example"],
                "events": ["*"],
            },
        }
        (folder / "fleet.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        try:
            up = run_cli(["up", "-o", "json"], cwd=folder, timeout=120)
            assert up.returncode == 0, up.stdout + up.stderr
            revealed = run_cli(["secrets", "get", "db-password", "--reveal"], cwd=folder)
            assert revealed.returncode == 0, revealed.stderr
            secret = revealed.stdout.removesuffix("\n")
            deploy = run_cli(
                ["deploy", "dev", "--version", "leaky", "--wait", "-o", "json"], cwd=folder, timeout=180
            )
            assert deploy.returncode == 1, deploy.stdout + deploy.stderr
            outcome = json.loads(deploy.stdout)
            # Every notification of the deployment (started, failed, rolled back) was delivered.
            wait_until(lambda: len(hook.bodies) >= 3 and len(smtp.messages) >= 3, timeout=30)
            rotate = run_cli(
                ["secrets", "rotate", "db-password", "--wait", "-o", "json"], cwd=folder, timeout=180
            )
            assert rotate.returncode == 0, rotate.stdout + rotate.stderr
            rotated = run_cli(["secrets", "get", "db-password", "--reveal"], cwd=folder).stdout.removesuffix(
                "\n"
            )
            assert rotated != secret
            wait_until(
                lambda: "secret rotated" in json.dumps(hook.bodies),
                timeout=30,
            )
            rotation = json.loads(rotate.stdout)["execution"]
            yield Leak(folder, secret, rotated, rotation, outcome["execution"], outcome, hook, smtp)
        finally:
            run_cli(["down"], cwd=folder, timeout=60)


def test_the_instance_log_has_the_line_redacted_and_is_private(leak: Leak) -> None:
    """What the instance printed is redacted as it is captured, in a file only its owner reads."""
    logs = list((leak.state / "envs/dev/logs/menu").glob("*.jsonl"))
    assert any("configuration DB_PASSWORD=***" in path.read_text() for path in logs)
    assert not any(leak.secret in path.read_text() for path in logs)
    assert {stat.S_IMODE(path.stat().st_mode) for path in logs} == {0o600}
    assert stat.S_IMODE((leak.state / "envs/dev/logs/menu").stat().st_mode) == 0o700


def test_the_failure_cause_shows_the_log_excerpt_redacted(leak: Leak) -> None:
    cause = str(leak.deploy["cause"])
    assert "configuration DB_PASSWORD=***" in cause
    assert "configuration ORDERS_DSN=postgresql://orders:***@127.0.0.1:5432/orders" in cause
    assert leak.secret not in cause


@pytest.mark.parametrize(
    "path",
    [
        "/deployments/{execution}",
        "/executions/{execution}",
        "/executions/{execution}/history",
        "/executions",
        "/executions/export",
        "/fleet/logs?service=menu&limit=10000",
        "/fleet",
        "/releases",
    ],
)
def test_api_answers_carry_no_secret(leak: Leak, path: str) -> None:
    text = leak.api(path.format(execution=leak.execution))
    assert leak.secret not in text
    assert URL_PASSWORD not in text


def test_the_logs_api_shows_the_line_redacted(leak: Leak) -> None:
    records = json.loads(leak.api("/fleet/logs?service=menu&limit=10000&filter=configuration"))["records"]
    assert {(r["setting"], r["value"]) for r in records} == {
        ("DB_PASSWORD", "***"),
        ("ORDERS_DSN", "postgresql://orders:***@127.0.0.1:5432/orders"),
    }


def test_a_log_query_can_neither_show_nor_match_the_secret(leak: Leak) -> None:
    """Filtering on a part of the value would tell it piece by piece: the logs hold it redacted."""
    shown = leak.api(
        "/fleet/logs/query?query=" + quote("fields @message | filter @message like /configuration/")
    )
    assert "DB_PASSWORD=***" in shown
    assert leak.secret not in shown
    probe = quote(f"fields @message | filter @message like /{leak.secret[:12]}/")
    assert json.loads(leak.api(f"/fleet/logs/query?query={probe}"))["results"] == []


def test_step_functions_answers_carry_no_secret(leak: Leak) -> None:
    server = json.loads((leak.state / "server.json").read_text())
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=server["url"],
        region_name="us-east-1",
        aws_access_key_id=(leak.state / "token").read_text().strip(),
        aws_secret_access_key="unused",
    )
    arn = sfn.list_executions(
        stateMachineArn=sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    )
    answers = [sfn.describe_execution(executionArn=e["executionArn"]) for e in arn["executions"]]
    answers += [sfn.get_execution_history(executionArn=e["executionArn"]) for e in arn["executions"]]
    assert answers
    text = json.dumps(answers, default=str)
    assert leak.secret not in text
    assert URL_PASSWORD not in text


def test_cli_history_and_describe_carry_no_secret(leak: Leak) -> None:
    for args in (["executions", "history", leak.execution], ["executions", "describe", leak.execution]):
        shown = run_cli([*args, "-o", "json"], cwd=leak.folder)
        assert shown.returncode == 0, shown.stderr
        assert "fleetops.RolloutFailed" in shown.stdout or "RolloutFailed" in shown.stdout
        assert leak.secret not in shown.stdout


def test_the_store_files_and_server_log_carry_no_secret(leak: Leak) -> None:
    files = [leak.state / name for name in ("fleetops.db", "fleetops.db-wal", "server.log")]
    present = [path for path in files if path.exists()]
    assert {path.name for path in present} >= {"fleetops.db", "server.log"}
    for path in present:
        assert leak.secret.encode() not in path.read_bytes(), path.name
    # The URL's password is written in the fleet file itself, and a release records the config
    # it ran with (the releases API redacts it): only what came from the instance is checked.
    assert URL_PASSWORD.encode() not in (leak.state / "server.log").read_bytes()


def test_notifications_carry_no_secret(leak: Leak) -> None:
    hooks = json.dumps(leak.hook.bodies)
    mails = "\n".join(message.as_string() for message in leak.smtp.messages)
    assert "failed" in hooks
    assert "DB_PASSWORD=***" in hooks
    for text in (hooks, mails):
        assert leak.secret not in text
        assert URL_PASSWORD not in text


def test_a_rotation_leaves_its_values_nowhere(leak: Leak) -> None:
    """The old value (revoked by the rotation) and the new one: in no API answer about the
    rotation, its history, the secret's versions and history, the audit log, the store's files,
    server.log, the instances' logs or the notifications."""
    paths = [
        f"/executions/{leak.rotation}/history", f"/deployments/{leak.rotation}", "/secrets",
        "/secrets/db-password", "/secrets/db-password/versions", "/secrets/db-password/history",
        "/audit", "/releases", "/executions/export",
    ]  # fmt: skip
    texts = [leak.api(path) for path in paths]
    texts += [
        (leak.state / name).read_bytes().decode(errors="replace") for name in ("fleetops.db", "server.log")
    ]
    texts += [path.read_text() for path in (leak.state / "envs/dev/logs").rglob("*.jsonl")]
    texts += [json.dumps(leak.hook.bodies), "\n".join(m.as_string() for m in leak.smtp.messages)]
    assert "secret rotated" in texts[-2]
    for text in texts:
        assert leak.rotated not in text
        assert leak.secret not in text


def test_the_state_is_private(leak: Leak) -> None:
    """The store, its WAL and shared memory, server.log, the token: 0600, in a 0700 folder."""
    modes = {
        path.name: stat.S_IMODE(path.stat().st_mode)
        for path in leak.state.iterdir()
        if path.name in {"fleetops.db", "fleetops.db-wal", "fleetops.db-shm", "server.log", "token"}
    }
    assert modes == dict.fromkeys(modes, 0o600)
    assert {"fleetops.db", "server.log", "token"} <= set(modes)
    assert stat.S_IMODE(leak.state.stat().st_mode) == 0o700
