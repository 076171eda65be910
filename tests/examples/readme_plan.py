"""What the README test runs for each command line of the README's code blocks, and in which part.

Every line has an entry in ``PLAN``: the steps that run it as written (through bash, `fleetops`
and `aws` on the PATH), or a ``Skip`` saying why it is not run here. The walkthrough runs in
``PARTS``, each a test file of its own with its own copy of the example and its own control plane
(so that pytest-xdist runs them on different workers): a part runs every line from its heading up
to the next part's heading, in the README's order, after its ``setup`` (what an earlier part of
the README left running), and ends with `fleetops down`. Placeholders (EXECUTION, NAME,
ROLLOUT_ID, BACKUP_ID, DRILL_ID, <execution-arn>) are read from the output of a step run before in
the same part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


@dataclass(frozen=True)
class Step:
    """One command to run for a README line: its shell text, exit code, and what to read from it."""

    run: str
    exit_code: int = 0
    follow: bool = False
    """Runs until Ctrl-C (--watch, --follow, a foreground server): interrupted once it printed
    (each prints at once: the status, "following ...: nothing yet", the server's address; one that
    does not is interrupted after a few seconds), and must exit 0."""
    capture: dict[str, str] = field(default_factory=dict)
    """Placeholder -> regex with one group, read from the command's output."""
    idle: bool = False
    """Wait until no execution runs before the next step (a deployment started without --wait)."""
    elsewhere: bool = False
    """Run in a fresh folder of its own (`fleetops server` beside the running control plane)."""
    env: dict[str, str] = field(default_factory=dict)
    """More environment variables (a free port instead of a fixed one)."""
    ready: str = ""
    """With ``follow``: the text that says it is up, before which Ctrl-C would cut its start short."""


@dataclass(frozen=True)
class Skip:
    """A README line not run, and why."""

    why: str


AWS = 'eval "$(fleetops aws-env)" && '
SCALING_DRILL = (
    "an alarm scaling orders out would change what the README's later steps deploy; "
    "tests/awsapi/test_observability.py runs the same drill on the example and puts orders back"
)
SFN_VERSIONS = "$M stands for a machine ARN; tests/server/sfn/test_versions.py publishes and moves an alias"
SFN_BACKUP = "tests/cli/test_sfn.py backs a changed machine up and restores it on a real server"
SFN_EXPORT = (
    "needs a second fleetops server as the endpoint and long-running workers: tests/cli/test_sfn_workers.py "
    "exports the example's dev runbooks and runs a deployment with two workers"
)
HEALTH = (
    "its verdict (and so its exit code) depends on what the README's earlier steps left behind (a "
    "failed deployment of the last day makes it degraded, exit 1); tests/cli/test_health.py runs it "
    "on a fleet whose state it arranges"
)
ON_AWS = (
    "prod is an aws environment: needs AWS credentials, or moto, where tests/providers/aws/test_cli_prod.py "
    "runs the same commands"
)
ON_AWS_BACKUPS = (
    "prod is an aws environment with an RDS instance: tests/providers/aws/test_backups.py runs the same "
    "code (catalog, snapshots, the restore runbook) on moto in-process"
)
APPROVAL = (
    "no environment of the example that runs on this machine needs approval (prod runs on aws); "
    "approve and --reject are run by tests/cli/test_promote.py"
)
BENCH_ORCHESTRATOR = (
    "a benchmark (minutes of 100 deployments), run by hand; tests/bench/test_orchestrator.py runs a small one"
)

PLAN: dict[str, list[Step] | Skip] = {
    "make demo": Skip("a make target (the demo itself: examples/demo.py, run by `make demo`)"),
    "make test": Skip("a make target: it runs this test"),
    "fleetops validate -f fleet.yaml": [Step("fleetops validate -f fleet.yaml")],
    "fleetops schema > fleet.schema.json": [Step("fleetops schema > fleet.schema.json")],
    "fleetops plan dev --version v2": [Step("fleetops plan dev --version v2")],
    "fleetops plan prod --services gateway -o json": [Step("fleetops plan prod --services gateway -o json")],
    ".venv/bin/fleetops --help": [Step("fleetops --help")],
    "cd examples/restaurant": Skip("the test runs in a copy of examples/restaurant"),
    "fleetops up": [Step("fleetops up")],
    "fleetops status --watch": [Step("fleetops status --watch", follow=True)],
    "fleetops scale menu 3": [Step("fleetops scale menu 3")],
    "fleetops activities menu": [Step("fleetops activities menu")],
    "fleetops logs orders --filter '{ $.status >= 500 }' --follow": [
        Step("fleetops logs orders --filter '{ $.status >= 500 }' --follow", follow=True)
    ],
    "fleetops rollout gateway v2 --wait": [
        Step("fleetops rollout gateway v2 --wait", capture={"ROLLOUT_ID": r"started rollout (\S+):"})
    ],
    "fleetops rollout status ROLLOUT_ID": [Step("fleetops rollout status ROLLOUT_ID")],
    "fleetops down": [],  # run last, in every part
    "fleetops backup create orders-db [--env dev]": [
        Step(
            "fleetops backup create orders-db --env dev", capture={"BACKUP_ID": r"(bk-[0-9a-z-]+): orders-db"}
        )
    ],
    "fleetops backup list [--datastore orders-db]": [Step("fleetops backup list --datastore orders-db")],
    "fleetops backup verify --latest": [Step("fleetops backup verify --latest")],
    "fleetops backup create orders-db --kind base": [Step("fleetops backup create orders-db --kind base")],
    "fleetops restore orders-db --backup BACKUP_ID --dry-run": [
        Step("fleetops restore orders-db --backup BACKUP_ID --dry-run")
    ],
    "fleetops restore orders-db --backup BACKUP_ID --wait": [
        Step("fleetops restore orders-db --backup BACKUP_ID --wait")
    ],
    # The README's time is long past: now (after the base backup above ended, so within reach).
    "fleetops restore orders-db --to-time 2026-12-07T04:10:00Z --wait": [
        Step('fleetops restore orders-db --to-time "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" --wait')
    ],
    # The example's targets (15m, 1h) are met: orders-db (PostgreSQL) restored from the backup above.
    "fleetops drill datastore-loss --yes --wait": [
        Step("fleetops drill datastore-loss --yes --wait", capture={"DRILL_ID": r"started drill (\S+)"})
    ],
    "fleetops drill datastore-loss --scratch --wait": Skip(
        "tests/cli/test_drill.py runs it in its own fleet (the README's datastore-loss above runs in place)"
    ),
    "fleetops drill instance-failure --service menu --wait": Skip(
        "tests/cli/test_drill.py kills an instance of menu in its own fleet"
    ),
    "fleetops drill control-plane-crash --version v2 --wait": Skip(
        "tests/cli/test_drill_crash.py kills the control plane of its own fleet during a deployment"
    ),
    "fleetops drill environment-failover --yes --wait": Skip(
        "the example has no standby: tests/cli/test_drill_failover.py adds dr (standby_for: dev) to its own "
        "copy, fails dev over to it and back"
    ),
    "fleetops drill report [DRILL_ID]": [Step("fleetops drill report DRILL_ID")],
    "fleetops drill list": [Step("fleetops drill list")],
    'fleetops logs query \'fields @timestamp, level, msg | filter level = "error" '
    "| stats count() as n by msg | sort n desc | limit 10'": [
        Step(
            'fleetops logs query \'fields @timestamp, level, msg | filter level = "error" '
            "| stats count() as n by msg | sort n desc | limit 10'"
        )
    ],
    "fleetops logs query 'filter ispresent(response_time_ms) | stats avg(response_time_ms), "
    "pct(response_time_ms, 95) by bin(5m)' --since 1h": [
        Step(
            "fleetops logs query 'filter ispresent(response_time_ms) | stats avg(response_time_ms), "
            "pct(response_time_ms, 95) by bin(5m)' --since 1h"
        )
    ],
    "fleetops logs query 'filter status >= 500 | stats count() by @log' --all "
    "--services orders,payments -o json": [
        Step(
            "fleetops logs query 'filter status >= 500 | stats count() by @log' --all "
            "--services orders,payments -o json"
        )
    ],
    "fleetops metrics list": [Step("fleetops metrics list")],
    "fleetops metrics get AWS/EC2 CPUUtilization --dimension AutoScalingGroupName=restaurant-orders "
    "--since 1h --period 60 --statistics Average,Maximum,p95": [
        Step(
            "fleetops metrics get AWS/EC2 CPUUtilization --dimension AutoScalingGroupName=restaurant-orders "
            "--since 1h --period 60 --statistics Average,Maximum,p95"
        )
    ],
    "fleetops metrics math 'errors / calls * 100' -m errors=fleetops/Deployments/TaskHandlerErrors:Sum "
    "-m calls=fleetops/Deployments/TaskHandlerInvocations:Sum --period 300": [
        Step(
            "fleetops metrics math 'errors / calls * 100' "
            "-m errors=fleetops/Deployments/TaskHandlerErrors:Sum "
            "-m calls=fleetops/Deployments/TaskHandlerInvocations:Sum --period 300"
        )
    ],
    "fleetops metrics math --alarm handler-error-rate --since 3h": [
        Step("fleetops metrics math --alarm handler-error-rate --since 3h")
    ],
    "fleetops server": [
        Step(
            "fleetops server",
            follow=True,
            elsewhere=True,
            env={"FLEETOPS_PORT": "0"},
            ready="Ctrl-C stops it",
        )
    ],
    "fleetops token create ci --role operator": [Step("fleetops token create ci --role operator")],
    "fleetops token create ci-weekly --role viewer --expires 7d": [
        Step("fleetops token create ci-weekly --role viewer --expires 7d")
    ],
    "fleetops token rotate ci --grace 1h": [Step("fleetops token rotate ci --grace 1h")],
    "fleetops token list / fleetops token revoke ci": [
        Step("fleetops token list"),
        Step("fleetops token revoke ci"),
    ],
    "fleetops audit --action 'tokens.*'": [Step("fleetops audit --action 'tokens.*'")],
    "fleetops secrets list": [Step("fleetops secrets list")],
    "fleetops secrets describe db-password": [Step("fleetops secrets describe db-password")],
    "fleetops secrets versions db-password": [Step("fleetops secrets versions db-password")],
    "fleetops secrets history db-password": [Step("fleetops secrets history db-password")],
    "fleetops secrets put payments-api-key --value-file key.txt": [
        Step(
            "printf readme-test-key-0123456789 > key.txt && "
            "fleetops secrets put payments-api-key --value-file key.txt"
        )
    ],
    "fleetops secrets get payments-api-key --reveal [--version-stage AWSPREVIOUS]": [
        Step("fleetops secrets get payments-api-key --reveal --version-stage AWSPREVIOUS")
    ],
    "fleetops secrets rotate payments-api-key --wait": [
        Step("fleetops secrets rotate payments-api-key --wait")
    ],
    "fleetops sfn create-state-machine --name hello --definition @hello.asl.json": [
        Step("fleetops sfn create-state-machine --name hello --definition @hello.asl.json")
    ],
    'fleetops sfn start-execution hello --input \'{"who": "ops"}\' --wait': [
        Step(
            'fleetops sfn start-execution hello --input \'{"who": "ops"}\' --wait',
            capture={"<execution-arn>": r"started (arn:\S+)"},
        )
    ],
    "fleetops sfn get-execution-history <execution-arn> --reverse": [
        Step("fleetops sfn get-execution-history <execution-arn> --reverse")
    ],
    "AWS_ACCESS_KEY_ID=$(cat .fleetops/token) AWS_SECRET_ACCESS_KEY=unused AWS_DEFAULT_REGION=us-east-1 "
    "aws stepfunctions --endpoint-url http://127.0.0.1:8417 list-state-machines": [
        Step(
            "AWS_ACCESS_KEY_ID=$(cat .fleetops/token) AWS_SECRET_ACCESS_KEY=unused "
            "AWS_DEFAULT_REGION=us-east-1 aws stepfunctions --endpoint-url URL list-state-machines"
        )
    ],
    'boto3.client("stepfunctions", endpoint_url="http://127.0.0.1:8417", region_name="us-east-1", '
    'aws_access_key_id=token, aws_secret_access_key="unused")': Skip("Python, not a command line"),
    "aws stepfunctions update-state-machine --state-machine-arn $M "
    "--definition file://new.json --publish": Skip(SFN_VERSIONS),
    "aws stepfunctions update-state-machine-alias --state-machine-alias-arn $M:live "
    "--routing-configuration stateMachineVersionArn=$M:2,weight=100": Skip(SFN_VERSIONS),
    "fleetops sfn backup --all sfn-backup/": Skip(SFN_BACKUP),
    "fleetops sfn restore sfn-backup/": Skip(SFN_BACKUP),
    "fleetops sfn export --all --env dev --endpoint-url http://other:8417": Skip(SFN_EXPORT),
    "fleetops worker --env dev --endpoint-url http://other:8417": Skip(SFN_EXPORT),
    "aws stepfunctions start-execution --state-machine-arn "
    "arn:aws:states:eu-west-1:123456789012:stateMachine:fleetops-restaurant-prod-deploy:live "
    '--input \'{"environment": "prod", "version": "v2", "requested_by": "alice"}\'': Skip(SFN_EXPORT),
    "fleetops sfn export --all --env prod --role-arn arn:aws:iam::123456789012:role/fleetops-sfn": Skip(
        SFN_EXPORT
    ),
    "fleetops worker --env prod &": Skip(SFN_EXPORT),
    "fleetops deploy prod --version v3 --wait": Skip(SFN_EXPORT),
    "cd examples/restaurant && fleetops up": [Step("fleetops up")],
    'eval "$(fleetops aws-env)"': [Step('eval "$(fleetops aws-env)"')],
    "aws sts get-caller-identity": [Step(AWS + "aws sts get-caller-identity")],
    "aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names restaurant-menu": [
        Step(AWS + "aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names restaurant-menu")
    ],
    "aws autoscaling set-desired-capacity --auto-scaling-group-name restaurant-menu --desired-capacity 3": [
        Step(
            AWS + "aws autoscaling set-desired-capacity --auto-scaling-group-name restaurant-menu "
            "--desired-capacity 3"
        )
    ],
    "aws ec2 create-launch-template-version --launch-template-id lt-0a1b2c3d4e5f60002 "
    '--version-description "Deploy v2" --launch-template-data \'{"ImageId": "v2"}\'': [
        Step(
            AWS + "aws ec2 create-launch-template-version --launch-template-id lt-0a1b2c3d4e5f60002 "
            '--version-description "Deploy v2" --launch-template-data \'{"ImageId": "v2"}\''
        )
    ],
    "aws autoscaling start-instance-refresh --auto-scaling-group-name restaurant-menu "
    '--desired-configuration \'{"LaunchTemplate": {"LaunchTemplateName": "restaurant-menu", '
    '"Version": "$Latest"}}\'': [
        Step(
            AWS + "aws autoscaling start-instance-refresh --auto-scaling-group-name restaurant-menu "
            '--desired-configuration \'{"LaunchTemplate": {"LaunchTemplateName": "restaurant-menu", '
            '"Version": "$Latest"}}\'',
        )
    ],
    "aws autoscaling describe-instance-refreshes --auto-scaling-group-name restaurant-menu --max-records 1": [
        Step(
            AWS + "aws autoscaling describe-instance-refreshes --auto-scaling-group-name restaurant-menu "
            "--max-records 1",
            idle=True,
        )
    ],
    (
        "aws autoscaling put-scaling-policy --auto-scaling-group-name restaurant-orders --policy-name "
        "orders-scale-out --adjustment-type ChangeInCapacity --scaling-adjustment 1 --cooldown 600"
    ): Skip(SCALING_DRILL),
    (
        "aws cloudwatch set-alarm-state --alarm-name orders-cpu-high --state-value ALARM --state-reason drill"
    ): Skip(SCALING_DRILL),
    (
        "aws autoscaling describe-scaling-activities --auto-scaling-group-name restaurant-orders "
        "--max-records 1"
    ): Skip(SCALING_DRILL),
    "fleetops plan dev --version v2 --live": [Step("fleetops plan dev --version v2 --live")],
    "fleetops deploy dev --version v2 --wait": [Step("fleetops deploy dev --version v2 --wait")],
    "fleetops deploy dev --version v2 --services menu,orders --lock-wait 10m": [
        Step("fleetops deploy dev --version v2 --services menu,orders --lock-wait 10m", idle=True)
    ],
    "fleetops rollback dev [--services orders]": [
        Step("fleetops rollback dev", idle=True),
        Step("fleetops rollback dev --services orders", idle=True),
    ],
    "fleetops rollback dev --services orders --to-release 1": [
        Step("fleetops rollback dev --services orders --to-release 1 --wait", idle=True)
    ],
    "fleetops promote stage prod --wait": Skip(ON_AWS),
    'fleetops approve EXECUTION [--reject --reason "not today"]': Skip(APPROVAL),
    "fleetops stop EXECUTION [--wait] | fleetops stop --all": [
        Step("fleetops deploy dev --version v3", capture={"EXECUTION": r"started deploy (\S+);"}),
        Step("fleetops stop EXECUTION --wait"),
        Step("fleetops stop --all"),
    ],
    "fleetops executions list | describe NAME [--wait] | history NAME": [
        Step("fleetops executions list", capture={"NAME": r"(deploy-dev-\d{8}T\d{6}-\w+) +│ SUCCEEDED"}),
        Step("fleetops executions describe NAME"),
        Step("fleetops executions describe NAME --wait"),
        Step("fleetops executions history NAME"),
    ],
    "fleetops executions export --days 7 > executions.json / import executions.json / cleanup --keep 100": [
        Step("fleetops executions export --days 7 > executions.json"),
        Step("fleetops executions import executions.json"),
        Step("fleetops executions cleanup --keep 100"),
    ],
    "fleetops up --env stage": [Step("fleetops up --env stage")],
    "fleetops environments": [Step("fleetops environments")],
    "fleetops promote dev stage --wait": [Step("fleetops promote dev stage --wait")],
    "fleetops status --env stage": [Step("fleetops status --env stage")],
    "fleetops down --env stage": [Step("fleetops down --env stage")],
    "fleetops bench concurrent --concurrent 5": Skip(
        "a benchmark: starts 5 more copies of the example (60 processes), run by hand"
    ),
    "fleetops bench orchestrator --deployments 100": Skip(BENCH_ORCHESTRATOR),
    "fleetops bench orchestrator -n 100 --store postgresql --control-planes 2": Skip(BENCH_ORCHESTRATOR),
    # The aws environment: on AWS, or moto (tests/providers/aws/test_cli_prod.py runs these there).
    "fleetops aws bootstrap --env prod --image-id ami-0abc...": Skip(ON_AWS),
    "fleetops up --env prod": Skip(ON_AWS),
    "fleetops deploy prod --version v2 --wait": Skip(ON_AWS),
    "fleetops status --env prod / fleetops scale menu 4 --env prod": Skip(ON_AWS),
    "fleetops up --env stage && fleetops promote stage prod --wait": Skip(ON_AWS),
    "fleetops activities menu --env prod": Skip(ON_AWS),
    "fleetops alarms --env prod": Skip(ON_AWS),
    "fleetops logs orders --env prod --filter ERROR --follow": Skip(ON_AWS),
    # Backups on aws: tests/providers/aws/test_backups.py runs the same code on moto, in-process.
    "fleetops backup create orders-db-prod --env prod": Skip(ON_AWS_BACKUPS),
    "fleetops backup list --env prod": Skip(ON_AWS_BACKUPS),
    "fleetops backup verify BACKUP_ID": Skip(ON_AWS_BACKUPS),
    "fleetops restore orders-db-prod --backup BACKUP_ID --env prod --wait": Skip(ON_AWS_BACKUPS),
    "fleetops alarms": [Step("fleetops alarms")],
    "fleetops alarms --state ALARM -o json": [Step("fleetops alarms --state ALARM -o json")],
    "fleetops alarms --service orders": [Step("fleetops alarms --service orders")],
    "fleetops alarms history orders-cpu-high": [Step("fleetops alarms history orders-cpu-high")],
    "fleetops alarms disable-actions high-5xx": [Step("fleetops alarms disable-actions high-5xx")],
    "fleetops alarms enable-actions high-5xx": [Step("fleetops alarms enable-actions high-5xx")],
    "fleetops releases orders --env prod": [Step("fleetops releases orders --env prod")],
    "fleetops lock status": [Step("fleetops lock status")],
    "fleetops lock release --force --env prod": Skip(
        "needs a crashed deployment's lock on prod; run by tests/cli/test_controls.py"
    ),
    "fleetops lock release --force --stop-holder --env prod": Skip(
        "needs a running deployment holding prod's lock; run by the control-gates tests"
    ),
    'fleetops maintenance on --env prod --for 2h --reason "db upgrade"': [
        Step('fleetops maintenance on --env prod --for 2h --reason "db upgrade"')
    ],
    "fleetops maintenance status / fleetops maintenance off --env prod": [
        Step("fleetops maintenance status"),
        Step("fleetops maintenance off --env prod"),
    ],
    'fleetops block payments --env prod --reason "card outage" / fleetops unblock payments --env prod': [
        Step('fleetops block payments --env prod --reason "card outage"'),
        Step("fleetops unblock payments --env prod"),
    ],
    "fleetops blocks": [Step("fleetops blocks")],
    'fleetops maintenance schedule --env prod --cron "0 2 * * SUN" --for 2h --reason "db patching"': [
        Step('fleetops maintenance schedule --env prod --cron "0 2 * * SUN" --for 2h --reason "db patching"')
    ],
    "fleetops maintenance schedules / fleetops maintenance cancel 1": [
        Step("fleetops maintenance schedules"),
        Step("fleetops maintenance cancel 1"),
    ],
    'fleetops notify --level warning --message "orders maintenance in 15 minutes"': [
        Step('fleetops notify --level warning --message "orders maintenance in 15 minutes"')
    ],
    'fleetops incident open --env dev --severity SEV2 --title "checkout errors" --eta 1h': [
        Step('fleetops incident open --env dev --severity SEV2 --title "checkout errors" --eta 1h')
    ],
    'fleetops incident update 1 --status identified --message "payments v3 times out"': [
        Step('fleetops incident update 1 --status identified --message "payments v3 times out"')
    ],
    'fleetops incident resolve 1 --summary "rolled back payments to v2"': [
        Step('fleetops incident resolve 1 --summary "rolled back payments to v2"')
    ],
    "fleetops incident list --all / fleetops incident show 1": [
        Step("fleetops incident list --all"),
        Step("fleetops incident show 1"),
    ],
    "fleetops health": Skip(HEALTH),
    "fleetops health --checklist post-deploy": Skip(HEALTH),
    "fleetops health --checklist pre-deploy": Skip(HEALTH),
    "fleetops health --checklist pre-deploy --version v2": Skip(HEALTH),
    "fleetops health --checklist daily -o json": Skip(HEALTH),
    "fleetops health --watch --interval 10": Skip(HEALTH),
    "fleetops report --period weekly": [Step("fleetops report --period weekly")],
    "fleetops report --period monthly --format json": [
        Step("fleetops report --period monthly --format json")
    ],
    "fleetops report --period weekly --format html --output report.html": [
        Step("fleetops report --period weekly --format html --output report.html")
    ],
    "fleetops report --since 2d --format png --output report.png": [
        Step("fleetops report --since 2d --format png --output report.png")
    ],
    "fleetops audit security": [Step("fleetops audit security")],
    "fleetops audit security -o json": [Step("fleetops audit security -o json")],
}


@dataclass(frozen=True)
class Part:
    """A stretch of the README run by one test file, on a copy of the example of its own."""

    heading: str
    """The README heading it starts at; it runs every command line up to the next part's heading."""
    setup: tuple[Step, ...] = ()
    """Run first: what the README's earlier parts left running (not README lines of its own)."""


UP = Step("fleetops up")

# Split where no step needs what an earlier part left (beyond a running fleet: ``setup``), and so
# that no part takes much longer than another: each is a test file (tests/examples/test_readme_*.py).
PARTS: dict[str, Part] = {
    # validate, plan, up, status, scale, logs, rollout; backups, restores, drills, queries, metrics
    "sandbox": Part("# fleetops"),
    # the server, tokens, audit, secrets and a rotation, Step Functions, the fleet's own aws commands
    "control_plane": Part("## The control plane", setup=(UP,)),
    # deploy, lock-wait, rollbacks, stop, executions (their export and import)
    "deploy": Part("## Deploy, roll back, promote", setup=(UP,)),
    # dev deployed, stage up beside it, promoted (the On AWS section is skipped: no AWS here);
    # then, on dev as the README leaves it, alarms, releases, locks, maintenance, blocks,
    # notifications, incidents, reports, audit (a part of their own would start a fleet again)
    "environments": Part("### Two environments on one machine, and a promotion between them"),
}


def readme_sections(text: str) -> list[tuple[str, list[str]]]:
    """Each heading of the README with its code-block lines that are commands: indented blocks and
    shell fences, without comments, continuation lines joined, in order (the fleet file's YAML
    block is not commands)."""
    sections: list[tuple[str, list[str]]] = []
    lines: list[str] = []
    fence: str | None = None
    pending = ""
    for raw in text.splitlines():
        if raw.startswith("```"):
            fence = None if fence is not None else raw[3:].strip()
            continue
        if fence is None and re.match(r"#{1,6} ", raw):
            lines = []
            sections.append((raw.strip(), lines))
            continue
        if fence is not None and fence not in ("", "sh", "shell", "bash", "console"):
            continue
        if fence is None and not raw.startswith("    "):
            continue
        line = re.split(r"\s+#(?:\s|$)", raw.strip(), maxsplit=1)[0].strip()
        if not line:
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        line, pending = pending + line, ""
        if lines and lines[-1].count("(") > lines[-1].count(")"):
            lines[-1] += " " + line  # a Python call's next line
        else:
            lines.append(line)
    return sections


def readme_command_lines(text: str) -> list[str]:
    """The README's command lines, in order (a line shown twice is there twice)."""
    return [line for _, lines in readme_sections(text) for line in lines]


def readme_parts(text: str) -> dict[str, list[str]]:
    """The command lines each part runs, in order: those under its heading up to the next part's."""
    starts = {part.heading: name for name, part in PARTS.items()}
    parts: dict[str, list[str]] = {name: [] for name in PARTS}
    current: str | None = None
    for heading, lines in readme_sections(text):
        current = starts.get(heading, current)
        if current is None:
            raise AssertionError(f"the README's first heading {heading!r} starts no part")
        parts[current].extend(lines)
    return parts


def part_steps(name: str, text: str) -> list[Step]:
    """What part ``name`` runs: its setup, the steps of its lines, then `fleetops down`."""
    lines = readme_parts(text)[name]
    steps = [step for line in lines if not isinstance(entry := PLAN[line], Skip) for step in entry]
    return [*PARTS[name].setup, *steps, Step("fleetops down")]
