"""Launch template pointers and descriptions are in the store: a control plane started again on
the same database (a new app) shows what the first was told. In-process, the environment in
memory (the versions' effects on real instances are tested in test_autoscaling)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from fleetops.server.app import create_app
from fleetops.server.roles import Role
from fleetops.server.settings import ServerSettings
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import api_harness
from fleetops.testing.aws import REGION
from fleetops.testing.fleet_runtime import in_memory_environments
from fleetops.testing.local import EXAMPLES
from fleetops.testing.sfn import serving

TEMPLATE = "lt-0a1b2c3d4e5f60002"


def _client(url: str, service: str, token: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name=REGION, aws_access_key_id=token,
        aws_secret_access_key="unused", config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip


def test_the_default_version_group_version_and_descriptions_outlive_a_restart(tmp_path: Path) -> None:
    fleet = load_fleet(EXAMPLES / "fleet.yaml")
    with api_harness(tmp_path / "state") as api:
        api.app.state.environments = in_memory_environments(fleet, "dev")
        token = api.tokens[Role.ADMIN]
        with serving(api.app) as url:
            ec2 = _client(url, "ec2", token)
            for image in ("v2", "v3"):
                ec2.create_launch_template_version(
                    LaunchTemplateId=TEMPLATE, VersionDescription=f"Deploy {image}",
                    LaunchTemplateData={"ImageId": image},
                )  # fmt: skip
            ec2.modify_launch_template(LaunchTemplateId=TEMPLATE, DefaultVersion="1")
            _client(url, "autoscaling", token).update_auto_scaling_group(
                AutoScalingGroupName="restaurant-menu",
                LaunchTemplate={"LaunchTemplateId": TEMPLATE, "Version": "$Latest"},
            )
    again = create_app(ServerSettings(state_dir=tmp_path / "state"))  # the same database
    again.state.environments = in_memory_environments(fleet, "dev")
    try:
        with serving(again) as url:
            ec2 = _client(url, "ec2", token)
            (template,) = ec2.describe_launch_templates(LaunchTemplateIds=[TEMPLATE])["LaunchTemplates"]
            versions = ec2.describe_launch_template_versions(LaunchTemplateId=TEMPLATE)[
                "LaunchTemplateVersions"
            ]
            group = _client(url, "autoscaling", token).describe_auto_scaling_groups(
                AutoScalingGroupNames=["restaurant-menu"]
            )["AutoScalingGroups"]
    finally:
        again.state.store.close()
    assert (template["DefaultVersionNumber"], template["LatestVersionNumber"]) == (1, 2)
    descriptions = {v["VersionNumber"]: v["VersionDescription"] for v in versions}
    assert descriptions == {1: "Deploy v2", 2: "Deploy v3"}
    assert [g["LaunchTemplate"]["Version"] for g in group] == ["$Latest"]
