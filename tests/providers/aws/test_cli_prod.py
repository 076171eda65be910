"""The example fleet's prod environment on moto, through the real CLI and a control plane process.

Shimmed (fleetops.testing.moto_shims): instance refresh (SHIM_INSTANCE_REFRESH) in every test
here; target health of the failing release (SHIM_TARGET_HEALTH) where named. Every other AWS call
is moto's, made by the control plane process through AWS_ENDPOINT_URL.

The test's copy of the fleet file has no smoke requests in prod (`deploy.smoke: null`): a smoke
request goes to the load balancer's DNS name, which moto does not serve.

One moto, one bootstrapped prod and one control plane for the whole module (``prod``: bootstrap
and up, at v1, with notifications on ECS, the others on Auto Scaling groups). The tests run in
the order written and each carries on from where the one before left prod (its docstring says
where that is): promote (prod at v1 but menu, stage up, then down again), the deployment of v2
everywhere, then failing, stopped and resumed deployments of versions of their own, so that each
changes something. moto's state is one per process: a test here cannot have a moto of its own
while the module's runs.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from fleetops.processes import pid_alive
from fleetops.server.settings import read_server_file
from fleetops.testing import moto_shims
from fleetops.testing.example import NotificationSinks, copy_example
from fleetops.testing.moto import MOTO_IMAGE, MotoEndpoint, moto_server
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
        self._approver: str | None = None

    def __call__(self, *args: str, ok: bool = True, timeout: float = 120, token: str | None = None) -> Any:
        env = self.env if token is None else {**self.env, "FLEETOPS_TOKEN": token}
        done = run_cli(list(args), cwd=self.folder, env=env, timeout=timeout)
        if ok and done.returncode != 0:
            log = self.folder / ".fleetops" / "server.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            pytest.fail(f"fleetops {' '.join(args)} exited {done.returncode}:\n{done.stderr}\n{tail}")
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "-o", "json").stdout)

    def approve(self, name: str) -> None:
        """Approve ``name`` as an operator other than the admin who started it.

        Prod's approval gate refuses the identity that started a deployment (no ``self_approval``).
        """
        if self._approver is None:
            created = self("token", "create", "approver", "--role", "operator")
            self._approver = str(created.stdout).strip().splitlines()[-1]
        self("approve", name, token=self._approver)

    def ended(self, name: str, timeout: float = 180) -> dict[str, Any]:
        """Execution ``name`` once it ended (``executions describe --wait``: one process that
        follows it, where polling would start one every time)."""
        done = self(
            "executions", "describe", name, "--wait", "-o", "json", ok=False, timeout=timeout
        )  # fmt: skip
        assert done.stdout, done.stderr  # its exit code says how it ended: the test asserts that
        described: dict[str, Any] = json.loads(done.stdout)
        return described

    def approved(self, *args: str, timeout: float = 180) -> dict[str, Any]:
        """Start a deployment to prod (approval required), approve it, follow it to its end."""
        name = self.json(*args)["execution"]
        self.approve(name)
        return self.ended(name, timeout)


@dataclass(frozen=True)
class Prod:
    """The module's prod: its CLI, and what bootstrap and up answered."""

    cli: Cli
    made: list[dict[str, Any]]
    up: dict[str, Any]


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory, sinks: NotificationSinks) -> Iterator[Prod]:
    """The example's prod on one moto, bootstrapped and up at v1 (notifications on ECS), under
    one control plane, for every test here in turn (see the module docstring)."""
    with moto_server() as moto:
        folder = copy_example(tmp_path_factory.mktemp("prod") / "restaurant", sinks)
        fleet_file = folder / "fleet.yaml"
        without_prod_smoke(fleet_file)
        document = yaml.safe_load(fleet_file.read_text())
        document["services"]["notifications"]["overrides"]["prod"]["aws"] = {
            "ecs_cluster": "restaurant",
            "ecs_service": "notifications",
        }
        for service in document["services"].values():
            # Stage is started to be promoted from (its versions, not its capacity): one local
            # instance a service, not eleven in all. Prod's capacity and settings as written.
            stage = service["overrides"].setdefault("stage", {})
            stage["instances"] = {**service["instances"], "desired": 1}
        fleet_file.write_text(yaml.safe_dump(document, sort_keys=False))
        cli = Cli(folder, moto)
        try:
            made = cli.json("aws", "bootstrap", "--env", "prod", "--image-id", MOTO_IMAGE)["made"]
            # An ECS service is the user's own (bootstrap makes none): notifications' runs v1.
            ecs = boto3.client("ecs", region_name="eu-west-1")
            ecs.create_cluster(clusterName="restaurant")
            definition = ecs.register_task_definition(
                family="restaurant-notifications",
                containerDefinitions=[
                    {"name": "app", "image": "registry.example/notifications:v1", "memory": 256}
                ],
                tags=[{"key": "fleetops:version", "value": "v1"}],
            )["taskDefinition"]["taskDefinitionArn"]
            ecs.create_service(
                cluster="restaurant", serviceName="notifications", taskDefinition=definition, desiredCount=2
            )
            yield Prod(cli, made, cli.json("up", "--env", "prod"))
        finally:
            cli("down", ok=False)


def group(name: str) -> dict[str, Any]:
    client = boto3.client("autoscaling", region_name="eu-west-1")
    found: dict[str, Any] = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ][0]
    return found


def test_promote_from_a_local_stage_to_prod_on_aws(prod: Prod) -> None:
    """Prod as bootstrap and up left it, v1 everywhere; stage is stopped again at the end."""
    cli = prod.cli
    assert cli.approved("deploy", "prod", "--version", "v2", "--services", "menu")["status"] == "SUCCEEDED"
    cli("up", "--env", "stage")  # local processes behind HAProxy, beside prod in one control plane
    try:
        assert cli.json("environments")["running"] == ["prod", "stage"]
        with moto_shims.recording() as calls:
            promoted = cli.approved("promote", "stage", "prod")
    finally:
        cli("down", "--env", "stage")
    assert promoted["status"] == "SUCCEEDED", promoted
    # Stage runs v1 everywhere: only menu (at v2 in prod) changes, to a new release at v1.
    (start,) = calls.of("StartInstanceRefresh")
    assert (start.params["AutoScalingGroupName"], calls.of("UpdateService")) == ("restaurant-menu", [])
    menu = {s["name"]: s for s in cli.json("status", "--env", "prod")["services"]}["menu"]
    assert (menu["version"], menu["release_number"], menu["versions"]) == ("v1", 3, ["v1"])


def test_bootstrap_up_and_deploy_prod_on_auto_scaling_and_ecs(prod: Prod) -> None:
    """Also shimmed: ECS deployments and tasks (SHIM_ECS_DEPLOYMENTS). Prod at v1 (the test before
    promoted menu back to v1): deployed here at v2."""
    cli = prod.cli
    on_asg = [s for s in SERVICES if s != "notifications"]
    assert sorted({(m["service"], m["kind"]) for m in prod.made}) == sorted(
        (s, kind) for s in on_asg for kind in ("Auto Scaling group", "launch template", "target group")
    )
    assert {s["name"]: (s["version"], s["healthy"], s["desired"]) for s in prod.up["services"]}["orders"] == (
        "v1", 4, 4,
    )  # fmt: skip
    with moto_shims.recording() as calls:
        deployed = cli.approved("deploy", "prod", "--version", "v2")
    assert deployed["status"] == "SUCCEEDED", deployed
    starts = {c.params["AutoScalingGroupName"]: c.params for c in calls.of("StartInstanceRefresh")}
    assert sorted(starts) == sorted(f"restaurant-{s}" for s in on_asg)  # one refresh each
    (update,) = calls.of("UpdateService")  # notifications: its next task definition, on ECS
    assert update.params["taskDefinition"].endswith(":task-definition/restaurant-notifications:2")
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


def test_a_failing_ecs_deployment_is_stopped_by_its_circuit_breaker(prod: Prod) -> None:
    """Also shimmed: v3-bad's failing tasks (SHIM_ECS_DEPLOYMENTS). Prod at v2 (the test before)."""
    cli = prod.cli
    moto_shims.fail_health("v3-bad")
    failed = cli.approved("deploy", "prod", "--version", "v3-bad", "--services", "notifications")
    assert failed["status"] == "FAILED"
    assert "circuit breaker" in failed["cause"]
    releases = cli.json("releases", "notifications", "--env", "prod")
    assert [(r["number"], r["version"], r["status"]) for r in releases][:2] == [
        (3, "v3-bad", "failed"),
        (2, "v2", "verified"),
    ]
    status = {s["name"]: s for s in cli.json("status", "--env", "prod")["services"]}["notifications"]
    assert (status["version"], status["versions"], status["healthy"]) == ("v2", ["v2"], 2)


def test_a_failing_refresh_fails_the_deployment_and_a_stopped_one_is_rolled_back_by_aws(
    prod: Prod,
) -> None:
    """Also shimmed: target health of v3-bad's instances (SHIM_TARGET_HEALTH); menu's refresh is
    held InProgress (moto_shims.hold). Prod is at v2 (the tests before)."""
    cli = prod.cli
    moto_shims.fail_health("v3-bad")
    with moto_shims.recording() as calls:
        failed = cli.approved("deploy", "prod", "--version", "v3-bad", "--services", "orders")
    assert failed["status"] == "FAILED"
    assert "Target.ResponseCodeMismatch: Health checks failed with these codes: [503]" in failed["cause"]
    # The refresh's AutoRollback (AWS's) put release #2's version and instances back: the
    # deployment's rollback finds orders there and starts no second refresh.
    (first,) = calls.of("StartInstanceRefresh")
    assert first.params["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "4"  # release #3
    assert first.params["Preferences"]["AutoRollback"] is True
    releases = cli.json("releases", "orders", "--env", "prod")
    assert [(r["number"], r["version"], r["status"], r["provider_target"]) for r in releases][:2] == [
        (3, "v3-bad", "failed", "4"),
        (2, "v2", "verified", "3"),
    ]
    orders = {s["name"]: s for s in cli.json("status", "--env", "prod")["services"]}["orders"]
    assert (orders["version"], orders["versions"], orders["healthy"]) == ("v2", ["v2"], 4)
    assert group("restaurant-orders")["LaunchTemplate"]["Version"] == "3"

    moto_shims.hold("restaurant-menu")  # its refresh is still running when the deployment is stopped
    with moto_shims.recording() as calls:
        name = cli.json("deploy", "prod", "--version", "v3", "--services", "menu")["execution"]
        cli.approve(name)
        wait_until(lambda: calls.of("StartInstanceRefresh"), timeout=60, what="menu's refresh starts")
        stopped = cli.json("stop", name)[0]
        rollback = stopped["rollback"]["execution"]
        ended = cli.ended(rollback, timeout=120)
    moto_shims.release("restaurant-menu")  # the later tests' refreshes of menu move
    assert ended["status"] == "SUCCEEDED"
    # AWS's own rollback of the running refresh, and no second refresh (recorded in the history).
    assert [c.params for c in calls.of("RollbackInstanceRefresh")] == [
        {"AutoScalingGroupName": "restaurant-menu"}
    ]
    assert (len(calls.of("StartInstanceRefresh")), calls.of("CancelInstanceRefresh")) == (1, [])
    history = cli("executions", "history", rollback, "-o", "json").stdout
    assert "rolled back in place (RollbackInstanceRefresh) to v2" in history
    menu = {s["name"]: s for s in cli.json("status", "--env", "prod")["services"]}["menu"]
    assert (menu["version"], menu["versions"], menu["ready"]) == ("v2", ["v2"], True)
    again = cli.json("rollback", "prod")
    assert again["execution"].startswith("rollback")
    # Prod as the next test finds it: that rollback ended (the environment's lock free).
    cli.ended(again["execution"])


def test_status_scale_activities_alarms_logs_and_secrets_of_prod(prod: Prod) -> None:
    """Also shimmed: scaling activities (SHIM_SCALING_ACTIVITIES). Prod is at v2, as the
    deployments before left it (no change of capacity)."""
    cli = prod.cli
    menu = {s["name"]: s for s in cli.json("status", "--env", "prod")["services"]}["menu"]
    assert (menu["desired"], menu["min"], menu["max"], menu["healthy"]) == (3, 2, 6, 3)
    assert {i["health"] for i in menu["instances"]} == {"healthy"}
    refused = cli("scale", "menu", "7", "--env", "prod", ok=False)
    assert refused.returncode == 2
    cli("scale", "menu", "4", "--env", "prod")
    assert group("restaurant-menu")["DesiredCapacity"] == 4
    (activity,) = cli.json("activities", "menu", "--env", "prod")["activities"]
    assert (activity["service"], activity["before"], activity["after"]) == ("menu", 3, 4)
    assert "a user request explicitly set group desired capacity" in activity["cause"]

    alarms = cli.json("alarms", "--env", "prod", "--service", "orders")
    assert [(a["name"], a["service"], a["state"]) for a in alarms] == [
        ("high-5xx", "orders", "OK"),
        ("slow-p99", "orders", "OK"),
    ]
    cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1")
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=["restaurant-prod-orders-high-5xx"])["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Period"], alarm["EvaluationPeriods"]) == (
        "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", 10, 3,
    )  # fmt: skip
    assert [d["Name"] for d in alarm["Dimensions"]] == ["TargetGroup"]  # bootstrap makes no load balancer

    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName="/aws/ec2/restaurant-orders")
    logs.create_log_stream(logGroupName="/aws/ec2/restaurant-orders", logStreamName="i-0001")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/aws/ec2/restaurant-orders",
        logStreamName="i-0001",
        logEvents=[
            {
                "timestamp": now,
                "message": json.dumps({"level": "ERROR", "msg": "card declined", "status": 502}),
            },
            {"timestamp": now + 1, "message": "GET /health 200"},
        ],
    )
    shown = cli("logs", "orders", "--env", "prod", "--filter", "ERROR").stdout
    assert "card declined" in shown and "GET /health" not in shown

    rolled = cli.json("rollout", "gateway", "v3", "--env", "prod", "--wait")
    assert (rolled["status"], rolled["percentage_complete"]) == ("Successful", 100)
    gateway = {s["name"]: s for s in cli.json("status", "--env", "prod")["services"]}["gateway"]
    assert (gateway["version"], gateway["versions"]) == ("v3", ["v3"])

    # prod's secrets are Secrets Manager's (moto's own, not shimmed).
    for value in ("prod-db-value-one", "prod-db-value-two"):
        (cli.folder / "value.txt").write_text(value + "\n")
        cli("secrets", "put", "db-password", "--value-file", "value.txt", "--env", "prod")
    listed = {s["name"]: s["versions"] for s in cli.json("secrets", "list", "--env", "prod")}
    assert listed == {"db-password": 2, "payments-api-key": 0, "session-signing-key": 0}
    versions = cli.json("secrets", "versions", "db-password", "--env", "prod")
    assert [(v["number"], v["stages"]) for v in versions] == [(1, ["AWSPREVIOUS"]), (2, ["AWSCURRENT"])]
    previous = cli(
        "secrets", "get", "db-password", "--reveal", "--version-stage", "AWSPREVIOUS", "--env", "prod"
    )
    secretsmanager = boto3.client("secretsmanager", region_name="eu-west-1")
    assert (previous.stdout, secretsmanager.get_secret_value(SecretId="db-password")["SecretString"]) == (
        "prod-db-value-one\n", "prod-db-value-two",
    )  # fmt: skip
    assert "prod-db-value" not in (cli.folder / ".fleetops" / "server.log").read_text()


def test_a_control_plane_killed_mid_deployment_resumes_it_without_a_second_refresh(prod: Prod) -> None:
    """Prod's menu is at v2 (the tests before): deployed here at v4."""
    cli = prod.cli
    with moto_shims.recording() as calls:
        name = cli.json("deploy", "prod", "--version", "v4", "--services", "menu")["execution"]
        cli.approve(name)
        wait_until(lambda: calls.of("StartInstanceRefresh"), timeout=60, what="menu's refresh starts")
        server = read_server_file(cli.folder / ".fleetops")
        assert server is not None
        os.kill(server["pid"], signal.SIGKILL)
        wait_until(lambda: not pid_alive(server["pid"]), timeout=10, what="the control plane dies")
        cli("up", "--env", "prod")
        ended = cli.ended(name)
    assert ended["status"] == "SUCCEEDED"
    assert [c.params["AutoScalingGroupName"] for c in calls.of("StartInstanceRefresh")] == ["restaurant-menu"]
    menu = {s["name"]: s for s in cli.json("status", "--env", "prod")["services"]}["menu"]
    assert (menu["version"], menu["versions"], menu["ready"]) == ("v4", ["v4"], True)
