"""The pre-deploy checks of an aws environment on moto: required secrets in Secrets Manager, and
the image a release of a version would use (an Auto Scaling group's AMI, an ECS service's ECR
image); the rotation schedules Secrets Manager keeps. One moto server and one bootstrapped prod
for the module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from fleetops.control.aws_images import versions_on_aws
from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.control.aws_secrets import AwsSecrets
from fleetops.control.health_report import health_report, required_secrets
from fleetops.ops.health import (
    CheckResult,
    Outcome,
    Verdict,
    VersionSeen,
    check_required_secrets,
    check_version,
)
from fleetops.providers.aws.autoscaling import AutoScalingService
from fleetops.providers.aws.bootstrap import bootstrap, rewrite_file
from fleetops.providers.aws.ecs import EcsService
from fleetops.providers.aws.factory import backends_of
from fleetops.providers.aws.session import AwsClients
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet
from fleetops.spec.models import AwsService
from fleetops.store import Store
from fleetops.testing.local import EXAMPLES
from fleetops.testing.moto import MOTO_IMAGE, moto_server

REGION = "eu-west-1"
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
MANIFEST = '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}'


@dataclass(frozen=True)
class Prod:
    fleet: Fleet
    clients: AwsClients
    store: Store


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prod]:
    folder = tmp_path_factory.mktemp("predeploy-aws")
    text = (EXAMPLES / "fleet.yaml").read_text() + (
        "\nchecklists:\n  ready: [required-secrets, version]\n  rotation: [secrets]\n"
    )
    (folder / "fleet.yaml").write_text(text)
    with moto_server():
        clients = AwsClients(REGION)
        fleet_file = folder / "fleet.yaml"
        rewrite_file(fleet_file, bootstrap(load_fleet(fleet_file), "prod", clients, image_id=MOTO_IMAGE))
        with Store.open(None, folder / "db") as store:
            yield Prod(load_fleet(fleet_file), clients, store)


def test_a_required_secret_missing_from_secrets_manager_fails_naming_service_and_secret(prod: Prod) -> None:
    aws = AwsSecrets(prod.fleet, "prod", prod.clients)
    manager = boto3.client("secretsmanager", region_name=REGION)
    for name in ("db-password", "session-signing-key"):
        manager.create_secret(Name=aws.secret_id(name), SecretString=f"{name}-value-0123456789")
    missing = check_required_secrets(required_secrets(prod.fleet, "prod", aws, prod.store))
    assert missing == [
        CheckResult(
            "required-secrets",
            Outcome.FAIL,
            "payments: secret payments-api-key has no AWSCURRENT value in Secrets Manager (payments-api-key)",
        )
    ]
    manager.create_secret(Name=aws.secret_id("payments-api-key"), SecretString="payments-key-0123456789")
    assert check_required_secrets(required_secrets(prod.fleet, "prod", aws, prod.store)) == [
        CheckResult(
            "required-secrets", Outcome.OK, "3 secrets needed by 3 services, each with a current value"
        )
    ]


def test_an_auto_scaling_release_uses_the_listed_ami_or_the_current_one(prod: Prod) -> None:
    backends = backends_of(prod.fleet, "prod", prod.clients)
    menu = backends["menu"]
    assert isinstance(menu, AutoScalingService)
    current = (
        f"AMI {MOTO_IMAGE} (v9 not in aws.images: the AMI of launch template version 1) exists, available"
    )
    assert versions_on_aws({"menu": menu}, prod.clients, "v9") == [VersionSeen("menu", True, current)]
    menu.aws = menu.aws.model_copy(update={"images": {"v9": "ami-0123456789abcdef0"}})
    assert check_version("v9", versions_on_aws({"menu": menu}, prod.clients, "v9")) == [
        CheckResult(
            "version", Outcome.FAIL, "menu: AMI ami-0123456789abcdef0 (aws.images[v9]) does not exist"
        )
    ]


def test_a_service_whose_image_cannot_be_looked_for_fails_with_the_error(prod: Prod) -> None:
    menu = backends_of(prod.fleet, "prod", prod.clients)["menu"]
    assert isinstance(menu, AutoScalingService)
    menu.template_id = "lt-0000000000000000f"
    (seen,) = versions_on_aws({"menu": menu}, prod.clients, "v9")
    assert (seen.service, seen.deployable) == ("menu", False)
    assert seen.detail.startswith(
        "its image could not be looked for: "
        "ec2:DescribeLaunchTemplateVersions on lt-0000000000000000f version 1 failed: "
    )


def test_an_ecs_release_image_is_looked_for_in_ecr(prod: Prod) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="restaurant")
    definition = ecs.register_task_definition(
        family="restaurant-notifications",
        containerDefinitions=[{"name": "app", "image": f"{ECR}/notifications:v1", "memory": 256}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="restaurant", serviceName="notifications", taskDefinition=definition)
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="notifications")
    ecr.put_image(repositoryName="notifications", imageManifest=MANIFEST, imageTag="v2")
    settings = prod.fleet.service("notifications", "prod")
    aws = AwsService(ecs_cluster="restaurant", ecs_service="notifications", images={"v4": "nginx:1.27"})
    backend = EcsService(prod.clients, "notifications", aws, settings.instances)
    found = {
        version: versions_on_aws({"notifications": backend}, prod.clients, version)
        for version in ("v2", "v3", "v4")
    }
    retagged = "the current image tagged with the version"
    assert found == {
        "v2": [
            VersionSeen("notifications", True, f"image {ECR}/notifications:v2 ({retagged}) exists in ECR")
        ],
        "v3": [
            VersionSeen(
                "notifications",
                False,
                f"image {ECR}/notifications:v3 ({retagged}) is not in ECR: ImageNotFoundException",
            )
        ],
        "v4": [
            VersionSeen("notifications", None, "not checked: image nginx:1.27 (aws.images[v4]) is not in ECR")
        ],
    }


def test_the_report_of_an_aws_runtime_reads_secrets_manager_and_the_images(prod: Prod) -> None:
    runtime = AwsFleetRuntime(prod.fleet, "prod", store=prod.store, clients=prod.clients)
    manager = boto3.client("secretsmanager", region_name=REGION)
    made = {s["Name"] for s in manager.list_secrets()["SecretList"]}
    for name in {"db-password", "session-signing-key", "payments-api-key"} - made:
        manager.create_secret(Name=runtime.secrets.secret_id(name), SecretString=f"{name}-value-0123456789")
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    report = health_report(runtime, prod.store, [], checklist="ready", now=now, version="v9")
    assert report.verdict is Verdict.HEALTHY
    assert [r.evidence for r in report.results][:2] == [
        "3 secrets needed by 3 services, each with a current value",
        f"auth: AMI {MOTO_IMAGE} (v9 not in aws.images: the AMI of launch template version 1) "
        "exists, available",
    ]
    assert [r.check for r in report.results] == ["required-secrets"] + ["version"] * len(prod.fleet.services)


def test_the_rotation_check_of_an_aws_runtime_reads_secrets_managers_schedule(prod: Prod) -> None:
    runtime = AwsFleetRuntime(prod.fleet, "prod", store=prod.store, clients=prod.clients)
    manager = boto3.client("secretsmanager", region_name=REGION)
    secret_id = runtime.secrets.secret_id("db-password")
    if secret_id not in {s["Name"] for s in manager.list_secrets()["SecretList"]}:
        manager.create_secret(Name=secret_id, SecretString="db-password-value-0123456789")
    manager.rotate_secret(
        SecretId=secret_id, RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False
    )
    due = manager.describe_secret(SecretId=secret_id)["NextRotationDate"]
    before = health_report(runtime, prod.store, [], checklist="rotation", now=due - timedelta(hours=2))
    after = health_report(runtime, prod.store, [], checklist="rotation", now=due + timedelta(hours=3))
    assert [(r.outcome, r.evidence) for r in before.results] == [
        (Outcome.OK, "no rotation overdue; next: db-password in 2h 0m")
    ]
    assert [(r.outcome, r.evidence) for r in after.results] == [
        (Outcome.WARN, "db-password: rotation overdue by 3h 0m (every 30d)")
    ]
