"""Secrets Manager over the secret store, through boto3 and the real AWS CLI, against one
in-process control plane (its dev environment in memory: secrets need no processes) shared by
the module. The seeds' own ``aws secretsmanager`` commands run in ``test_seeds``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fleetops.server.roles import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness, api_harness
from fleetops.testing.aws import REGION
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.local import EXAMPLES
from fleetops.testing.server import cli_env
from fleetops.testing.sfn import serving

VALUE = "s3cr3t-db-value-one"


@dataclass(frozen=True)
class Served:
    api: ApiHarness
    url: str
    folder: Path

    def client(self, role: Role = Role.ADMIN) -> Any:
        return boto3.client(
            "secretsmanager", endpoint_url=self.url, region_name=REGION,
            aws_access_key_id=self.api.tokens[role], aws_secret_access_key="unused",
            config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip

    def aws(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = cli_env({
            "AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": self.api.tokens[Role.ADMIN],
            "AWS_SECRET_ACCESS_KEY": "unused", "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": "",
        })  # fmt: skip
        return subprocess.run([sys.executable, "-m", "awscli", "secretsmanager", *args], cwd=self.folder,
                              env=env, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("secretsmanager")
    with api_harness(folder / "state") as api:
        api.app.state.environments = in_memory_environments(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
        api.app.state.secrets.put("dev", "db-password", VALUE, by="test")
        with serving(api.app) as url:
            yield Served(api, url, folder)


def _code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


def test_the_aws_cli_puts_and_reads_a_value_fleetops_secrets_shows(served: Served) -> None:
    (served.folder / "new-secret.json").write_text('{"password": "n3w-db-value-two"}')
    put = served.aws(
        "update-secret", "--secret-id", "db-password", "--secret-string", "file://new-secret.json"
    )
    assert put.returncode == 0, put.stderr
    read = served.aws("get-secret-value", "--secret-id", "db-password", "--version-stage", "AWSCURRENT",
                      "--query", "SecretString", "--output", "text")  # fmt: skip
    assert (read.returncode, json.loads(read.stdout)) == (0, {"password": "n3w-db-value-two"}), read.stderr
    shown = served.api.client(Role.VIEWER).get("/api/v1/secrets/db-password/versions").json()
    new_id = json.loads(put.stdout)["VersionId"]
    assert [(v["version_id"] == new_id, v["stages"]) for v in shown["versions"]] == [
        (False, ["AWSPREVIOUS"]),
        (True, ["AWSCURRENT"]),
    ]
    described = served.client(Role.VIEWER).describe_secret(SecretId="db-password")
    assert (described["Name"], described["Description"], described["VersionIdsToStages"][new_id]) == (
        "db-password", "Password of the orders database.", ["AWSCURRENT"],
    )  # fmt: skip
    assert described["ARN"].startswith(f"arn:aws:secretsmanager:{REGION}:123456789012:secret:db-password-")


def test_a_secret_made_with_create_secret_moves_its_labels_and_is_deleted_and_restored(
    served: Served,
) -> None:
    client = served.client()
    made = client.create_secret(Name="smtp-relay", SecretString="relay-one", Description="the relay",
                                Tags=[{"Key": "team", "Value": "ops"}])  # fmt: skip
    pending = client.put_secret_value(SecretId=made["ARN"], SecretString="relay-two",
                                      ClientRequestToken="a" * 32, VersionStages=["AWSPENDING"])  # fmt: skip
    again = client.put_secret_value(SecretId="smtp-relay", SecretString="relay-two",
                                    ClientRequestToken="a" * 32, VersionStages=["AWSPENDING"])  # fmt: skip
    assert (pending["VersionId"], again["VersionId"]) == ("a" * 32, "a" * 32)
    assert (
        client.get_secret_value(SecretId="smtp-relay", VersionStage="AWSPENDING")["SecretString"]
        == "relay-two"
    )
    assert _code(client.update_secret_version_stage, SecretId="smtp-relay", VersionStage="AWSCURRENT",
                 MoveToVersionId="a" * 32) == "InvalidParameterException"  # fmt: skip
    moved = {"MoveToVersionId": "a" * 32, "RemoveFromVersionId": made["VersionId"]}
    client.update_secret_version_stage(SecretId="smtp-relay", VersionStage="AWSCURRENT", **moved)
    versions = client.list_secret_version_ids(SecretId="smtp-relay")["Versions"]
    assert sorted((v["VersionId"], tuple(v["VersionStages"])) for v in versions) == sorted(
        [("a" * 32, ("AWSCURRENT", "AWSPENDING")), (made["VersionId"], ("AWSPREVIOUS",))]
    )
    client.tag_resource(SecretId="smtp-relay", Tags=[{"Key": "tier", "Value": "1"}])
    listed = client.list_secrets(Filters=[{"Key": "tag-key", "Values": ["tier"]}])["SecretList"]
    assert [(s["Name"], s["Description"], s["Tags"]) for s in listed] == [
        ("smtp-relay", "the relay", [{"Key": "team", "Value": "ops"}, {"Key": "tier", "Value": "1"}])
    ]
    deleted = client.delete_secret(SecretId="smtp-relay", RecoveryWindowInDays=7)
    assert _code(client.get_secret_value, SecretId="smtp-relay") == "InvalidRequestException"
    assert client.list_secrets(Filters=[{"Key": "name", "Values": ["smtp"]}])["SecretList"] == []
    assert client.describe_secret(SecretId="smtp-relay")["DeletedDate"] <= deleted["DeletionDate"]
    client.restore_secret(SecretId="smtp-relay")
    assert client.get_secret_value(SecretId="smtp-relay")["SecretString"] == "relay-two"
    client.delete_secret(SecretId="smtp-relay", ForceDeleteWithoutRecovery=True)
    assert _code(client.describe_secret, SecretId="smtp-relay") == "ResourceNotFoundException"
    assert served.api.client(Role.VIEWER).get("/api/v1/secrets/smtp-relay").status_code == 404


def test_what_has_no_local_meaning_is_refused_and_changes_nothing(served: Served) -> None:
    client = served.client()
    before = client.list_secret_version_ids(SecretId="db-password", IncludeDeprecated=True)["Versions"]
    refused = {
        "label": _code(client.put_secret_value, SecretId="db-password", SecretString="x" * 8,
                       VersionStages=["MYLABEL"]),
        "binary": _code(client.put_secret_value, SecretId="db-password", SecretBinary=b"12345678"),
        "declared": _code(client.delete_secret, SecretId="db-password"),
        "unknown": _code(client.describe_secret, SecretId="no-such-secret"),
        "viewer": _code(served.client(Role.VIEWER).get_secret_value, SecretId="db-password"),
    }  # fmt: skip
    assert refused == {
        "label": "InvalidParameterException",
        "binary": "InvalidParameterException",
        "declared": "InvalidRequestException",
        "unknown": "ResourceNotFoundException",
        "viewer": "AccessDeniedException",
    }
    assert (
        client.list_secret_version_ids(SecretId="db-password", IncludeDeprecated=True)["Versions"] == before
    )


def test_values_are_in_no_audit_entry(served: Served) -> None:
    client = served.client()
    client.put_secret_value(SecretId="db-password", SecretString="audited-value-three")
    assert client.get_secret_value(SecretId="db-password")["SecretString"] == "audited-value-three"
    entries = [e.to_json() for e in served.api.store.audit.list(limit=1000)]
    audited = [(e["action"], e["arguments"]) for e in entries[:2]]
    assert audited == [
        ("secretsmanager.GetSecretValue", {"SecretId": "db-password"}),
        (
            "secretsmanager.PutSecretValue",
            {"SecretId": "db-password", "ClientRequestToken": "***", "SecretString": "***"},
        ),
    ]
    assert "audited-value-three" not in json.dumps(entries)
