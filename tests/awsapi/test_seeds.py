"""The runbooks' own ``aws`` commands for Auto Scaling, EC2, ELBv2, CloudWatch, CloudWatch Logs,
Secrets Manager and STS, taken from ``../shared/seeds/`` and run as written (through bash, with
the real AWS CLI) against the example fleet, with only names substituted: each succeeds, with its effect.

Substituted: the runbooks' group, launch template, target group, load balancer, log group and
alarm names become those of the example's menu service, their secrets (a name, an ARN)
the example's db-password; their prod queries ask for dev (the
environment running here); capacities beyond the example's menu (``--desired-capacity 10``, ``0``)
become its max and min. The commands this control plane does not serve are listed in
``NOT_SERVED`` with why; each must still fail cleanly (an AWS error or the CLI's own refusal).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from fleetops.server.aws.operations import OPERATIONS
from fleetops.testing.aws import LOOK_EVERY, AwsFleet, SeedCommand, aws_fleet, seed_commands, seeds_dir
from fleetops.testing.awscli import run_aws
from fleetops.testing.example import NotificationSinks, quick_orders, single_instances
from fleetops.testing.server import cli_env
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

GROUP = "restaurant-menu"
TEMPLATE = "lt-0a1b2c3d4e5f60002"
TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/menu/0000000000000002"
LOG_GROUP = "/aws/ec2/restaurant-menu"
CLI_SERVICES = {"sts": "sts", "autoscaling": "autoscaling", "ec2": "ec2", "elbv2": "elbv2",
                "cloudwatch": "cloudwatch", "logs": "logs", "secretsmanager": "secretsmanager"}  # fmt: skip
SECRET = "db-password"
NEW_SECRET = '{"password": "seed-updated-value-0001"}'
"""What seed 000's update-secret puts (from its new-secret.json)."""

SUBSTITUTIONS = [
    ("lt-123", TEMPLATE),
    ("service-asg", GROUP),
    ("demo-flask-app-dev-asg", GROUP),
    ("dev-backend-asg", GROUP),
    ("${ASG_NAME}", GROUP),
    ("${TG_ARN}", TARGET_GROUP),
    ("arn:aws:elasticloadbalancing:us-east-1:ACCOUNT_ID:targetgroup/dev-backend-tg/abc123", TARGET_GROUP),
    ("/aws/ec2/demo-flask-app-prod", LOG_GROUP),
    ("/aws/ec2/demo-flask-app-dev", LOG_GROUP),
    ("/aws/ec2/dev/backend", LOG_GROUP),
    ("demo-flask-app-prod-unhealthy-hosts", "restaurant-menu-high-5xx"),
    ("demo-flask-app-prod-high-5xx-errors", "restaurant-menu-slow-p99"),
    ("dev-backend-cpu-high", "restaurant-menu-high-5xx"),
    ("--alarm-name-prefix dev-backend", "--alarm-name-prefix restaurant-menu"),
    ("demo-flask-app-prod-dashboard", "restaurant-dev-dashboard"),
    ("'dev-alb'", "'menu'"),
    ("Value=='prod'", "Value=='dev'"),
    ("service_env_prod", SECRET),
    ("--desired-capacity 10", "--desired-capacity 3"),
    ("--desired-capacity 0", "--desired-capacity 1"),
]

NOT_SERVED = {
    "describe-security-groups": "security groups have no local meaning",
    "describe-scaling-policies": "not an Auto Scaling command (the AWS CLI refuses it too)",
    "tail": "`aws logs tail` is an AWS CLI v2 command; the PyPI awscli is v1",
}


REFUSED = {
    ("002", 850): (
        "ValidationError",
        "MaxSize is the fleet file's instances.max here: the command says to edit it",
    ),
    ("002", 951): (
        "InvalidParameterValue",
        "AWS refuses it too: --statistics takes values separated by spaces",
    ),
    ("002", 965): (
        "InvalidParameterValue",
        "AWS refuses it too: --statistics takes values separated by spaces",
    ),
}
"""Seed commands refused as AWS refuses them, or as the fleet file makes them: (code, why)."""


def _served(command: SeedCommand) -> bool:
    return any(
        CLI_SERVICES.get(command.service) == service and xform_name(name, "-") == command.operation
        for service, name in OPERATIONS
    )


def _relevant() -> list[SeedCommand]:
    folder = seeds_dir()
    if not folder.is_dir():
        pytest.fail(f"the runbooks are not at {folder}: set FLEETOPS_SEEDS to their folder")
    found = [c for c in seed_commands(folder) if c.service in CLI_SERVICES]
    # A bare command (seed 004 lists the permissions a role needs) is a name, not a command.
    return [c for c in found if c.text.strip() != f"aws {c.service} {c.operation}" or _no_required(c)]


def _no_required(command: SeedCommand) -> bool:
    return command.operation in ("describe-auto-scaling-groups", "describe-load-balancers", "describe-alarms")


COMMANDS = _relevant()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, sinks: NotificationSinks) -> Iterator[AwsFleet]:
    # orders is db-password's consumer, redeployed by each rotate-secret: the rotation proves its
    # redeploy and pickup, not the bake. The seeds act on menu (its group, instances, refreshes,
    # target group, load balancer): it runs and rolls as written; the others on one instance each
    # (no seed command counts theirs; orders' rotations replace one instance, not two).
    def edit(text: str) -> str:
        return single_instances(quick_orders(text), keep=("menu",))

    with aws_fleet(tmp_path_factory.mktemp("awsseeds"), sinks, edit=edit) as running:
        yield running


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an ``aws`` that runs the AWS CLI of this Python (first on PATH)."""
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "aws"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -m awscli "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def _text(fleet: AwsFleet, command: SeedCommand) -> str:
    text = command.text
    for old, new in SUBSTITUTIONS:
        text = text.replace(old, new)
    if "<ALB_FULL_NAME>" in text:
        arn = fleet.client("elbv2").describe_load_balancers(Names=["menu"])["LoadBalancers"][0][
            "LoadBalancerArn"
        ]
        text = text.replace("<ALB_FULL_NAME>", arn.split(":loadbalancer/", 1)[1])
    if "${ALB_ARN}" in text:
        arn = fleet.client("elbv2").describe_load_balancers(Names=["menu"])["LoadBalancers"][0][
            "LoadBalancerArn"
        ]
        text = text.replace("${ALB_ARN}", arn)
    if "${SECRET_ARN}" in text or "your-secret-arn" in text:
        arn = fleet.client("secretsmanager").describe_secret(SecretId=SECRET)["ARN"]
        text = text.replace("${SECRET_ARN}", arn).replace("your-secret-arn", arn)
    if command.operation == "create-launch-template-version" and "--launch-template-data" not in text:
        # The AWS CLI itself requires it (the runbook's command is refused by AWS as written):
        # empty data copies the source version.
        text += " --launch-template-data '{}'"
    return text


def _prepare(fleet: AwsFleet, command: SeedCommand) -> dict[str, str]:
    """Put in place what the command acts on (as the runbook's earlier steps would have)."""
    client = fleet.client("autoscaling")
    if command.operation in ("start-instance-refresh", "set-desired-capacity", "update-auto-scaling-group"):
        _cancel(fleet)  # a running refresh holds the group's capacity
    if command.operation == "cancel-instance-refresh":
        _cancel(fleet)
        client.start_instance_refresh(
            AutoScalingGroupName=GROUP,
            Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 0, "CheckpointPercentages": [50, 100],
                         "CheckpointDelay": 600},
        )  # fmt: skip
    extra = {}
    if command.operation == "update-secret":
        (fleet.folder / "new-secret.json").write_text(NEW_SECRET)
    if command.operation == "get-secret-value":
        # The runbooks keep the database login as JSON; a rotation before (seed 002's
        # rotate-secret) replaced the whole value with a generated one.
        secrets = fleet.client("secretsmanager")
        if secrets.get_secret_value(SecretId=SECRET)["SecretString"] != NEW_SECRET:
            secrets.put_secret_value(SecretId=SECRET, SecretString=NEW_SECRET)
    if command.operation == "get-query-results":
        started = fleet.client("logs").start_query(
            logGroupName=LOG_GROUP, startTime=0, endTime=2_000_000_000, queryString="stats count(*) as n"
        )
        extra["QUERY_ID"] = started["queryId"]
    return extra


def _cancel(fleet: AwsFleet) -> None:
    client = fleet.client("autoscaling")
    try:
        client.cancel_instance_refresh(AutoScalingGroupName=GROUP)
    except ClientError as err:
        if err.response["Error"]["Code"] != "ActiveInstanceRefreshNotFound":
            raise
    wait_until(
        lambda: not _active(fleet),
        timeout=60,
        interval=LOOK_EVERY,
        what="no instance refresh of restaurant-menu running",
    )


def _active(fleet: AwsFleet) -> bool:
    refreshes = fleet.client("autoscaling").describe_instance_refreshes(AutoScalingGroupName=GROUP)
    return any(
        r["Status"] in ("Pending", "InProgress", "Cancelling", "Baking")
        for r in refreshes["InstanceRefreshes"]
    )


def _run(fleet: AwsFleet, shim: Path, text: str, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the command as bash runs it. One ``aws`` command alone: bash expands its words (quotes,
    variables, ``$(date ...)``) and the AWS CLI's driver runs in this process with them
    (``fleetops.testing.awscli``: a CLI process costs a second of CPU to start); a pipeline or a
    list: bash runs it all, with the ``aws`` executable."""
    env = cli_env({**fleet.environment(), **extra, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"})
    if _one_command(text):
        return run_aws(_words(text, env, fleet.folder), env=env, cwd=fleet.folder)
    return subprocess.run(["bash", "-c", text], cwd=fleet.folder, env=env, capture_output=True, text=True,
                          timeout=90, check=False)  # fmt: skip


def _one_command(text: str) -> bool:
    """Whether ``text`` is one ``aws`` command: no pipe, list, redirection or second line
    outside quotes (within ``$(...)`` counts as outside: such a command goes to bash whole), and
    no ``aws`` of its own in a ``$(...)`` (the function that prints the words would answer it)."""
    quote = None
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote is not None:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "|;&<>`\n":
            return False
    return text.startswith("aws ") and "$(aws " not in text


def _words(text: str, env: dict[str, str], folder: Path) -> list[str]:
    """The arguments bash passes to ``aws`` in ``text`` (a function in its place prints them)."""
    shown = subprocess.run(["bash", "-c", 'aws() { printf "%s\\0" "$@"; }\n' + text], cwd=folder, env=env,
                           capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    if shown.returncode != 0 or not shown.stdout.endswith("\0"):
        raise AssertionError(f"bash could not expand {text!r}: {shown.stderr}")
    return shown.stdout.split("\0")[:-1]


def test_the_seeds_name_the_operations_served() -> None:
    served = {(c.service, c.operation) for c in COMMANDS if _served(c)}
    assert len(COMMANDS) >= 60
    assert {op for _, op in served} >= {
        "describe-auto-scaling-groups", "set-desired-capacity", "update-auto-scaling-group",
        "start-instance-refresh", "describe-instance-refreshes", "cancel-instance-refresh",
        "describe-scaling-activities", "create-launch-template-version", "describe-instances",
        "describe-target-health", "describe-load-balancers", "describe-alarms", "get-metric-statistics",
        "disable-alarm-actions", "enable-alarm-actions", "filter-log-events", "describe-log-groups",
        "start-query", "get-query-results", "get-caller-identity", "update-secret", "get-secret-value",
    }  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: f"{c.seed[:3]}:{c.line}:{c.operation}")
def test_a_seed_command(fleet: AwsFleet, shim: Path, command: SeedCommand) -> None:
    text = _text(fleet, command)
    extra = _prepare(fleet, command)
    done = _run(fleet, shim, text, extra)
    if not _served(command):
        assert command.operation in NOT_SERVED, f"{command.operation} is neither served nor listed"
        assert done.returncode in (252, 255, 2), done.stderr
        return
    refused = REFUSED.get((command.seed[:3], command.line))
    if refused is not None:
        assert (done.returncode, f"({refused[0]})" in done.stderr) == (255, True), done.stderr
        return
    assert done.returncode == 0, f"{text}\n{done.stderr}"
    _check_effect(fleet, command, text, done.stdout)


def _check_effect(fleet: AwsFleet, command: SeedCommand, text: str, output: str) -> None:
    client = fleet.client("autoscaling")
    group = client.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
    if command.operation == "set-desired-capacity":
        wanted = int(text.split("--desired-capacity", 1)[1].split(maxsplit=1)[0])
        assert group["DesiredCapacity"] == wanted
        wait_until(
            lambda: fleet.service("menu")["healthy"] == wanted,
            timeout=60,
            interval=LOOK_EVERY,
            what=f"menu at {wanted}",
        )
    elif command.operation == "update-auto-scaling-group":
        version = text.split("Version=", 1)[1].strip("'\"")
        assert group["LaunchTemplate"]["Version"] == version.strip("'")
    elif command.operation == "start-instance-refresh":
        started = json.loads(output)["InstanceRefreshId"]
        latest = client.describe_instance_refreshes(AutoScalingGroupName=GROUP)["InstanceRefreshes"][0]
        assert (latest["InstanceRefreshId"], latest["Status"] in ("Pending", "InProgress", "Successful")) == (
            started, True,
        )  # fmt: skip
    elif command.operation == "cancel-instance-refresh":
        latest = client.describe_instance_refreshes(AutoScalingGroupName=GROUP)["InstanceRefreshes"][0]
        assert latest["Status"] in ("Cancelling", "Cancelled")
    elif command.operation == "create-launch-template-version":
        version = json.loads(output)["LaunchTemplateVersion"]
        assert (version["LaunchTemplateData"], version["VersionDescription"]) == (
            {"ImageId": "v1"},
            "Deploy v1.2.3",
        )
    elif command.operation == "update-secret":
        value = fleet.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"]
        assert (value, json.loads(output)["Name"]) == (NEW_SECRET, SECRET)
    elif command.operation == "get-secret-value":
        if "jq -r '.password'" in text:
            assert output == "seed-updated-value-0001\n"
        elif "| jq ." in text:
            assert json.loads(output) == json.loads(NEW_SECRET)
        else:
            assert json.loads(output)["SecretString"] == NEW_SECRET
        # The value left the server only in the answer: not in its log, not in the audit log.
        log = (fleet.folder / ".fleetops" / "server.log").read_text()
        audit = fleet.fleetops("audit", "-o", "json", "--limit", "1000").stdout
        assert ("seed-updated-value-0001" in log, "seed-updated-value-0001" in audit) == (False, False)
    elif command.operation == "rotate-secret":
        # The rotation runbook runs: the version it answers becomes AWSCURRENT (orders redeployed
        # and seen to use it), and the environment's lock is free again for the next commands.
        version = json.loads(output)["VersionId"]
        secrets = fleet.client("secretsmanager")

        def rotated() -> bool:
            stages = secrets.describe_secret(SecretId=SECRET)["VersionIdsToStages"]
            locked = httpx.get(
                f"{fleet.url}/api/v1/locks/dev", headers={"Authorization": f"Bearer {fleet.token}"}
            )
            return "AWSCURRENT" in stages.get(version, []) and locked.status_code == 404

        wait_until(rotated, timeout=180, interval=LOOK_EVERY, what=f"the rotation to {version} done")
    elif command.operation == "get-dashboard":
        widgets = json.loads(json.loads(output)["DashboardBody"])["widgets"]
        assert [w["properties"]["title"] for w in widgets[:3]] == [
            "auth: requests and 5XX", "auth: response time", "auth: CPU",
        ]  # fmt: skip
    elif command.operation == "describe-listeners":
        assert json.loads(output) == []  # its query asks for HTTPS (443): the local listener is HTTP
    elif command.operation == "put-scaling-policy":
        policies = client.describe_policies(AutoScalingGroupName=GROUP, PolicyNames=["dev-scale-up"])
        assert [(p["PolicyType"], p["AdjustmentType"], p["ScalingAdjustment"], p["PolicyARN"])
                for p in policies["ScalingPolicies"]] == [
            ("SimpleScaling", "ChangeInCapacity", 2, json.loads(output)["PolicyARN"])
        ]  # fmt: skip
    elif command.operation in ("disable-alarm-actions", "enable-alarm-actions"):
        names = text.split("--alarm-names", 1)[1].replace('"', "").split()
        alarms = fleet.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
        assert {a["ActionsEnabled"] for a in alarms} == {command.operation == "enable-alarm-actions"}
