"""The example fleet's prod environment on moto, through the real CLI and a control plane process.

Shimmed (fleetops.testing.moto_shims): instance refresh (SHIM_INSTANCE_REFRESH) in every test
here; target health of the failing release (SHIM_TARGET_HEALTH) where named. Every other AWS call
is moto's, made by the control plane process through AWS_ENDPOINT_URL.

The test's copy of the fleet file has no smoke requests in prod (`deploy.smoke: null`): a smoke
request goes to the load balancer's DNS name, which moto does not serve.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from fleetops.testing import moto_shims
from fleetops.testing.moto import MOTO_IMAGE, MotoEndpoint
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

SERVICES = ("auth", "menu", "notifications", "payments", "orders", "gateway")


def without_prod_smoke(fleet_file: Path) -> None:
    document = yaml.safe_load(fleet_file.read_text())
    for service in document["services"].values():
        prod = service.setdefault("overrides", {}).setdefault("prod", {})
        prod["deploy"] = {**prod.get("deploy", {}), "smoke": None}
    fleet_file.write_text(yaml.safe_dump(document, sort_keys=False))


class Cli:
    """``fleetops`` in the example's folder, pointed at moto."""

    def __init__(self, folder: Path, moto: MotoEndpoint) -> None:
        self.folder = folder
        self.env = moto.env

    def __call__(self, *args: str, ok: bool = True, timeout: float = 120) -> Any:
        done = run_cli(list(args), cwd=self.folder, env=self.env, timeout=timeout)
        if ok and done.returncode != 0:
            log = self.folder / ".fleetops" / "server.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            pytest.fail(f"fleetops {' '.join(args)} exited {done.returncode}:\n{done.stderr}\n{tail}")
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "-o", "json").stdout)

    def approved(self, *args: str, timeout: float = 180) -> dict[str, Any]:
        """Start a deployment to prod (approval required), approve it, follow it to its end."""
        name = self.json(*args)["execution"]
        self("approve", name)
        return wait_until(
            lambda: (d := self.json("executions", "describe", name))["status"] != "RUNNING" and d,
            timeout=timeout,
            what=f"{name} ends",
        )


@pytest.fixture
def cli(moto: MotoEndpoint, example: Path) -> Iterator[Cli]:
    without_prod_smoke(example / "fleet.yaml")
    running = Cli(example, moto)
    yield running
    running("down", ok=False)


def group(name: str) -> dict[str, Any]:
    client = boto3.client("autoscaling", region_name="eu-west-1")
    found: dict[str, Any] = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ][0]
    return found


def test_bootstrap_up_and_deploy_prod_on_auto_scaling(cli: Cli) -> None:
    made = cli.json("aws", "bootstrap", "--env", "prod", "--image-id", MOTO_IMAGE)["made"]
    assert sorted({(m["service"], m["kind"]) for m in made}) == sorted(
        (s, kind) for s in SERVICES for kind in ("Auto Scaling group", "launch template", "target group")
    )
    up = cli.json("up", "--env", "prod")
    assert {s["name"]: (s["version"], s["healthy"], s["desired"]) for s in up["services"]}["orders"] == (
        "v1", 4, 4,
    )  # fmt: skip
    with moto_shims.recording() as calls:
        deployed = cli.approved("deploy", "prod", "--version", "v2")
    assert deployed["status"] == "SUCCEEDED", deployed
    starts = {c.params["AutoScalingGroupName"]: c.params for c in calls.of("StartInstanceRefresh")}
    assert sorted(starts) == sorted(f"restaurant-{s}" for s in SERVICES)  # one refresh each
    orders = starts["restaurant-orders"]
    assert orders["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "3"
    assert orders["Preferences"] == {
        "MinHealthyPercentage": 100,
        "MaxHealthyPercentage": 150,
        "InstanceWarmup": 60,
        "SkipMatching": False,
        "AutoRollback": True,
        "BakeTime": 900,
        "CheckpointPercentages": [50, 100],
        "CheckpointDelay": 600,
        "AlarmSpecification": {
            "Alarms": ["restaurant-prod-orders-high-5xx", "restaurant-prod-orders-slow-p99"]
        },
    }
    assert not [c for c in calls.calls if "$Latest" in repr(c.params) or "$Default" in repr(c.params)]
    assert group("restaurant-orders")["LaunchTemplate"]["Version"] == "3"
    status = cli.json("status", "--env", "prod")
    assert {s["name"]: (s["version"], s["versions"], s["ready"]) for s in status["services"]} == {
        s: ("v2", ["v2"], True) for s in SERVICES
    }
    releases = cli.json("releases", "orders", "--env", "prod")
    assert [(r["number"], r["version"], r["status"]) for r in releases] == [
        (2, "v2", "verified"),
        (1, "v1", "verified"),
    ]
